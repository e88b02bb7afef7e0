// jest `setupFiles`: runs in every test file's environment before the tests.
// aws-local-stepfunctions 3 needs Promise.withResolvers (Node >= 22); the project runs on Node 20.
import '../../lib/harness/local/polyfills';
