#!/usr/bin/env node
/**
 * The CDK app (`npx cdk synth`): both Firebreak stacks, with the cdk-nag AwsSolutions checks.
 * Configuration comes from the `firebreak` context key in cdk.json or `-c firebreakConfigFile=<file>`.
 */
import { buildApp } from '../lib/infra/app';

buildApp().app.synth();
