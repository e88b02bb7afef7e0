import * as path from 'node:path';
import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionEnvironment } from '../core/contracts/environment';
import { ConfigError } from '../core/errors';
import { policiesOf } from './dependencies';
import { acknowledge, JustifiedPolicy, JustifiedStatement, NAG_PACK } from './nag';
import { StepName, stepRoleName } from './steps';
import { PROJECT_ROOT } from '../core/project-root';

/**
 * How every step is bundled (NodejsFunction's `bundling`, esbuild run locally; test/infra/tools/bundle-step.ts bundles
 * with these same options for the lean-bundles test and `npm run bench`, and test/infra/bundling.test.ts checks that its
 * output is the deployed `index.js`, byte for byte). Figures from `npm run bench` (docs/ARCHITECTURE.md, "Lean Lambda
 * bundles"):
 * - `minify`: every bundle stays under 200 KB (test/infra/lean-bundles.test.ts).
 * - no `keepNames`: minification renames classes and functions, and a class's `name` with them (esbuild API, "Keep
 *   names"). Firebreak's errors take their `name` from their code's entry in ERROR_CODES (lib/core/errors.ts), not from
 *   their class, so the Lambda's `errorType` that a Step Functions Retry or Catch matches with `ErrorEquals` stays
 *   `Throttled` or `InvalidInput` ("Error handling in Step Functions", AWS Step Functions Developer Guide); the bundling
 *   test reads it back from a bundled handler. `keepNames` cost about 10 KB per bundle (issue 15: plan-containment
 *   205,220 bytes with it, 194,627 without); a stack trace's function names are read with the source map.
 * - `sourceMap: false`: no source map in the deployed asset and no `--enable-source-maps` (its 1.0–1.2 MB map was read
 *   at every cold start: +15 % of init CPU, measured). A stack trace's `index.js:<line>:<column>` is read with the map
 *   bundleStep writes for the same commit (`npx tsx test/infra/tools/bundle-step.ts <step> <dir>`, the same bytes).
 * - `mainFields` module first: a package without an `exports` map (`@smithy/types`) is taken as ES modules, which
 *   esbuild tree-shakes (esbuild API, "Main fields"); 1.3 KB.
 * `@aws-sdk/*` stays external (CDK's default `externalModules` for Node.js 18 and later: the Lambda runtime's SDK).
 */
export const STEP_BUNDLING = {
  minify: true,
  keepNames: false,
  sourceMap: false,
  mainFields: ['module', 'main'],
  target: 'node22',
} as const satisfies nodejs.BundlingOptions;

/** Properties of {@link ResponderFunction}. */
export interface ResponderFunctionProps {
  /** The playbook step; the handler is `<lambdasDir>/<step>/index.ts`. */
  readonly step: StepName;
  /**
   * Runtime variables, as the Lambda environment's writers make them (`stepEnvironment`, lib/core/contracts/environment.ts;
   * docs/ARCHITECTURE.md, "Runtime configuration"). The construct adds its own part (`functionEnvironment`: the step and
   * Node's options).
   * @default - only the construct's own part
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The Lambda timeout.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * The folder that holds one folder per step.
   * @default - `lambdas/` at the repository root
   */
  readonly lambdasDir?: string;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Name of the function's own IAM role. Member accounts trust it by name.
   * @default stepRoleName(step), i.e. `firebreak-<step>`
   */
  readonly roleName?: string;
  /**
   * Name of the function.
   * @default stepRoleName(step), i.e. `firebreak-<step>`
   */
  readonly functionName?: string;
}

/**
 * The Lambda function of one playbook step: a `NodejsFunction` bundled locally with esbuild (never
 * Docker), nodejs22.x on arm64, X-Ray tracing, with its own log group and its own role.
 *
 * The role carries only what the step is granted: write access to its own log group, X-Ray, and the
 * grants made to this construct (it is the {@link iam.IGrantable}). The function sees the role through
 * `withoutPolicyUpdates()`, so nothing is added behind the step's back (no
 * `AWSLambdaBasicExecutionRole`, no implicit statements).
 */
export class ResponderFunction extends Construct implements iam.IGrantable {
  /** The X-Ray actions of active tracing; they support no resource-level permissions. */
  public static readonly TRACING_ACTIONS: readonly string[] = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

  /** The step this function runs. */
  public readonly step: StepName;
  /** The Lambda function. */
  public readonly function: nodejs.NodejsFunction;
  /** The function's own role. */
  public readonly role: iam.Role;
  /** The function's own log group. */
  public readonly logGroup: logs.LogGroup;
  /** The role, as the principal that grants go to. */
  public readonly grantPrincipal: iam.IPrincipal;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link ResponderFunctionProps}.
   * @throws {ConfigError} when the role or function name is longer than 64 characters.
   */
  constructor(scope: Construct, id: string, props: ResponderFunctionProps) {
    super(scope, id);
    this.step = props.step;
    const roleName = props.roleName ?? stepRoleName(props.step);
    const functionName = props.functionName ?? stepRoleName(props.step);
    if (roleName.length > 64) throw new ConfigError(`${this.node.path}: role name ${roleName} is longer than 64 characters`);
    if (functionName.length > 64) throw new ConfigError(`${this.node.path}: function name ${functionName} is longer than 64 characters`);

    this.role = new iam.Role(this, 'Role', {
      roleName,
      description: `Firebreak playbook step ${props.step}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.grantPrincipal = this.role;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.role);

    this.addJustifiedPolicy('Tracing', [
      {
        statement: new iam.PolicyStatement({ actions: [...ResponderFunction.TRACING_ACTIONS], resources: ['*'] }),
        reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
      },
    ]);

    const lambdasDir = props.lambdasDir ?? path.join(PROJECT_ROOT, 'lambdas');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName,
      description: `Firebreak playbook step ${props.step}`,
      entry: path.join(lambdasDir, props.step, 'index.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role.withoutPolicyUpdates(),
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        ...functionEnvironment({ FIREBREAK_STEP: props.step }),
      },
      bundling: { ...STEP_BUNDLING, mainFields: [...STEP_BUNDLING.mainFields], forceDockerBundling: false },
    });
    // Every policy under the role exists before the function (Lambda checks the X-Ray permissions of
    // an actively traced function when it is created).
    this.function.node.addDependency(policiesOf(this.role));
    // Function adds a DependsOn on the role, which its `Role: GetAtt` already implies (cfn-lint W3005).
    this.function.node.defaultChild!.node.removeDependency(this.function.role!);
    acknowledge(
      this.function,
      `${NAG_PACK}-L1`,
      'nodejs22.x is pinned on purpose: the handlers are tested on Node 22 (TOOLCHAIN.md), and the Lambda runtime moves only together with the test runtime.',
    );
    Tags.of(this).add('firebreak:component', 'responder');
    Tags.of(this).add('firebreak:step', props.step);
  }

  /** The function's ARN. */
  public get functionArn(): string {
    return this.function.functionArn;
  }

  /**
   * Adds a statement without wildcards to the role's default policy.
   * @param statement - the statement.
   */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /**
   * Attaches a policy whose wildcard statements carry their justification (see {@link JustifiedPolicy}).
   * @param id - the policy's construct ID, unique within this function.
   * @param statements - the statements and their reasons.
   * @returns the policy.
   * @throws {FirebreakError} when a statement has a wildcard and no reason.
   */
  public addJustifiedPolicy(id: string, statements: readonly JustifiedStatement[]): JustifiedPolicy {
    return new JustifiedPolicy(this.role, id, { roles: [this.role], statements });
  }
}
