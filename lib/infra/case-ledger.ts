import { Aws, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LEDGER_TABLE_NAME } from '../core/names';

/** Properties of {@link CaseLedger}. */
export interface CaseLedgerProps {
  /**
   * The table's name.
   * @default LEDGER_TABLE_NAME
   */
  readonly tableName?: string;
  /**
   * The customer-managed KMS key that encrypts the table.
   * @default - a new key with automatic rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The case ledger: one DynamoDB table (partition key `pk`, sort key `sk`, both strings) holding each
 * case, its claim (the lock) and its timeline. On-demand capacity, point-in-time recovery, encryption
 * under a customer-managed key, deletion protection, and retained when the stack is deleted.
 */
export class CaseLedger extends Construct {
  /** The ledger table. */
  public readonly table: dynamodb.Table;
  /** The key that encrypts the table. */
  public readonly key: kms.IKey;

  /**
   * The DynamoDB actions of {@link grantCaseReadWrite}. `TransactWriteItems` is authorized as the
   * per-item actions it contains (PutItem, UpdateItem, ConditionCheckItem), so it is not listed.
   */
  public static readonly READ_WRITE_ACTIONS: readonly string[] = [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
  ];

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link CaseLedgerProps}.
   */
  constructor(scope: Construct, id: string, props: CaseLedgerProps = {}) {
    super(scope, id);
    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Firebreak case ledger (DynamoDB)',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName ?? LEDGER_TABLE_NAME,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Tags.of(this).add('firebreak:component', 'ledger');
  }

  /**
   * Lets a principal claim cases and append to their timelines: {@link CaseLedger.READ_WRITE_ACTIONS}
   * on the table, and `kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey`, `kms:DescribeKey` on the
   * ledger key through DynamoDB only.
   * @param grantee - the principal.
   * @returns the grant of the DynamoDB actions.
   */
  public grantCaseReadWrite(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...CaseLedger.READ_WRITE_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    return grant;
  }
}
