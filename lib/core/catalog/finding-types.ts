/**
 * Firebreak's table of GuardDuty finding types: every active type on AWS's list, its family, the
 * `detail.resource.resourceType` values GuardDuty sends with it, and what the finding says about that
 * resource. The routing (`catalog.ts`, `patterns.ts`), the Decide step (`triage.ts`) and the runbooks
 * (`runbooks/findings/<family>.md`, one section per type) are kept in step with it by tests; a test
 * compares it with the checked-in copy of AWS's list (`aws/guardduty-active-finding-types.json`), so
 * that a type added there and missing here fails.
 *
 * Sources: "GuardDuty finding types" (the active types, with the page per family),
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html, and the family
 * pages in {@link FINDING_FAMILIES}; retrieved {@link FINDING_TYPES_RETRIEVED}. "Finding details"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html) for the resource
 * types and the resource role: `TARGET` or `ACTOR` for Instance findings, `TARGET` for the others, none
 * on Runtime Monitoring and Malware Protection for S3 findings.
 */

/** The date the table was compared with AWS's list (ISO-8601). */
export const FINDING_TYPES_RETRIEVED = '2026-12-02';

/** AWS's page listing every active finding type. */
export const ACTIVE_FINDING_TYPES_PAGE = 'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html';

const GUIDE = 'https://docs.aws.amazon.com/guardduty/latest/ug/';

/**
 * The finding families: one AWS page and one runbook (`runbooks/findings/<family>.md`) each.
 * `resourceTypes` are the `detail.resource.resourceType` values a type of the family has unless its row
 * says otherwise.
 */
export const FINDING_FAMILIES = {
  ec2: { title: 'EC2 finding types', page: `${GUIDE}guardduty_finding-types-ec2.html`, resourceTypes: ['Instance'] },
  iam: { title: 'IAM finding types', page: `${GUIDE}guardduty_finding-types-iam.html`, resourceTypes: ['AccessKey'] },
  s3: { title: 'S3 Protection finding types', page: `${GUIDE}guardduty_finding-types-s3.html`, resourceTypes: ['S3Bucket'] },
  'eks-audit': {
    title: 'EKS Protection (EKS audit logs) finding types',
    page: `${GUIDE}guardduty-finding-types-eks-audit-logs.html`,
    resourceTypes: ['EKSCluster'],
  },
  // Runtime Monitoring covers EC2 instances, EKS and ECS clusters, and containers on EC2 (a real finding shows `Container`).
  runtime: {
    title: 'Runtime Monitoring finding types',
    page: `${GUIDE}findings-runtime-monitoring.html`,
    resourceTypes: ['Instance', 'EKSCluster', 'ECSCluster', 'Container'],
  },
  'malware-ec2': {
    title: 'Malware Protection for EC2 finding types',
    page: `${GUIDE}findings-malware-protection.html`,
    resourceTypes: ['Instance'],
  },
  'malware-s3': {
    title: 'Malware Protection for S3 finding type',
    page: `${GUIDE}gdu-malware-protection-s3-finding-types.html`,
    resourceTypes: ['S3Object'],
  },
  // EBSSnapshot, EC2Image and RecoveryPoint follow the API's Resource object (ebsSnapshotDetails, ec2ImageDetails,
  // recoveryPointDetails); no example shows the string. They go to finding-triage whatever it is.
  'malware-backup': {
    title: 'Malware Protection for Backup finding types',
    page: `${GUIDE}findings-malware-protection-backup.html`,
    resourceTypes: ['RecoveryPoint'],
  },
  rds: {
    title: 'RDS Protection finding types',
    page: `${GUIDE}findings-rds-protection.html`,
    resourceTypes: ['RDSDBInstance', 'RDSLimitlessDB'],
  },
  lambda: { title: 'Lambda Protection finding types', page: `${GUIDE}lambda-protection-finding-types.html`, resourceTypes: ['Lambda'] },
  'attack-sequence': {
    title: 'Attack sequence finding types',
    page: `${GUIDE}guardduty-attack-sequence-finding-types.html`,
    resourceTypes: ['AttackSequence'],
  },
  'ai-protection': { title: 'AI Protection finding types', page: `${GUIDE}findings-ai-protection.html`, resourceTypes: ['AccessKey'] },
  // AWS's page does not say which resource these findings name; AccessKey is an assumption (they come from CloudTrail
  // management events), so their subject is `unknown-resource`: never contained until a generated finding shows the shape.
  'custom-detection': {
    title: 'Custom Detection Rules finding types',
    page: `${GUIDE}findings-custom-detection-rules.html`,
    resourceTypes: ['AccessKey'],
  },
} as const satisfies Record<string, { title: string; page: string; resourceTypes: readonly string[] }>;

/** A finding family: the key of {@link FINDING_FAMILIES}. */
export type FindingFamily = keyof typeof FINDING_FAMILIES;

/** Every family, in table order. */
export const FAMILY_NAMES = Object.keys(FINDING_FAMILIES) as FindingFamily[];

/**
 * What a finding type says about its resource, as the type's AWS section describes it:
 * - `compromised`: the resource itself acts maliciously or shows signs of compromise, whatever
 *   `service.resourceRole` says (GuardDuty's own generated samples mark TorClient `TARGET`, for one);
 * - `compromised-when-actor`: the resource is the attacker when `service.resourceRole` is `ACTOR` and
 *   the victim otherwise (brute force: "the severity is High if your instance performs the attack, Low
 *   if it is the target");
 * - `target`: the resource is the target of outside activity, or exposed by its configuration; no sign
 *   that it is compromised. Never contained;
 * - `exposed`: the resource is exposed to the public by its configuration (the `Policy:S3/` types: public access
 *   granted, block public access disabled). Nothing shows it compromised, so no principal is denied; the playbook
 *   that hosts it closes the exposure (s3-compromise turns the bucket's public access block on);
 * - `suspicious`: AWS asks a person to judge whether the activity is expected (potentially unwanted or
 *   dual-use files, the `SuspiciousFile` types of Malware Protection): a case, never contained automatically;
 * - `unknown-resource`: AWS's page does not say which resource the finding names (Custom Detection Rules):
 *   a case, never contained, until a finding GuardDuty generated shows its shape.
 */
export type FindingSubject = 'compromised' | 'compromised-when-actor' | 'target' | 'exposed' | 'suspicious' | 'unknown-resource';

/** One row of the table. */
export interface FindingTypeEntry {
  /** The finding type, exactly as GuardDuty sends it in `detail.type`. */
  readonly type: string;
  readonly family: FindingFamily;
  /** `detail.resource.resourceType` values GuardDuty sends with this type. */
  readonly resourceTypes: readonly string[];
  readonly subject: FindingSubject;
}

type Row = readonly [type: string, subject: FindingSubject, resourceTypes?: readonly string[]];

const C = 'compromised' as const;
const A = 'compromised-when-actor' as const;
const T = 'target' as const;
const E = 'exposed' as const;
const U = 'unknown-resource' as const;
const S = 'suspicious' as const;

const ROWS: Record<FindingFamily, readonly Row[]> = {
  ec2: [
    ['Backdoor:EC2/C&CActivity.B', C],
    ['Backdoor:EC2/C&CActivity.B!DNS', C],
    ['Backdoor:EC2/DenialOfService.Dns', C],
    ['Backdoor:EC2/DenialOfService.Tcp', C],
    ['Backdoor:EC2/DenialOfService.Udp', C],
    ['Backdoor:EC2/DenialOfService.UdpOnTcpPorts', C],
    ['Backdoor:EC2/DenialOfService.UnusualProtocol', C],
    ['Backdoor:EC2/Spambot', C],
    ['Behavior:EC2/NetworkPortUnusual', C],
    ['Behavior:EC2/TrafficVolumeUnusual', C],
    ['CryptoCurrency:EC2/BitcoinTool.B', C],
    ['CryptoCurrency:EC2/BitcoinTool.B!DNS', C],
    ['DefenseEvasion:EC2/UnusualDNSResolver', C],
    ['DefenseEvasion:EC2/UnusualDoHActivity', C],
    ['DefenseEvasion:EC2/UnusualDoTActivity', C],
    ['Impact:EC2/AbusedDomainRequest.Reputation', C],
    ['Impact:EC2/BitcoinDomainRequest.Reputation', C],
    ['Impact:EC2/MaliciousDomainRequest.Custom', C],
    ['Impact:EC2/MaliciousDomainRequest.Reputation', C],
    ['Impact:EC2/PortSweep', C],
    ['Impact:EC2/SuspiciousDomainRequest.Reputation', C],
    ['Impact:EC2/WinRMBruteForce', A],
    ['Recon:EC2/PortProbeEMRUnprotectedPort', T],
    ['Recon:EC2/PortProbeUnprotectedPort', T],
    ['Recon:EC2/Portscan', C],
    ['Trojan:EC2/BlackholeTraffic', C],
    ['Trojan:EC2/BlackholeTraffic!DNS', C],
    ['Trojan:EC2/DGADomainRequest.B', C],
    ['Trojan:EC2/DGADomainRequest.C!DNS', C],
    ['Trojan:EC2/DNSDataExfiltration', C],
    ['Trojan:EC2/DriveBySourceTraffic!DNS', C],
    ['Trojan:EC2/DropPoint', C],
    ['Trojan:EC2/DropPoint!DNS', C],
    ['Trojan:EC2/PhishingDomainRequest!DNS', C],
    ['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', C],
    ['UnauthorizedAccess:EC2/MetadataDNSRebind', C],
    ['UnauthorizedAccess:EC2/RDPBruteForce', A],
    ['UnauthorizedAccess:EC2/SSHBruteForce', A],
    ['UnauthorizedAccess:EC2/TorClient', C],
    ['UnauthorizedAccess:EC2/TorRelay', C],
  ],
  iam: [
    ['CredentialAccess:IAMUser/AnomalousBehavior', C],
    ['DefenseEvasion:IAMUser/AnomalousBehavior', C],
    ['DefenseEvasion:IAMUser/BedrockLoggingDisabled', C],
    ['Discovery:IAMUser/AnomalousBehavior', C],
    ['Exfiltration:IAMUser/AnomalousBehavior', C],
    ['Impact:IAMUser/AnomalousBehavior', C],
    ['InitialAccess:IAMUser/AnomalousBehavior', C],
    ['PenTest:IAMUser/KaliLinux', C],
    ['PenTest:IAMUser/ParrotLinux', C],
    ['PenTest:IAMUser/PentooLinux', C],
    ['Persistence:IAMUser/AnomalousBehavior', C],
    ['Policy:IAMUser/RootCredentialUsage', T],
    ['Policy:IAMUser/ShortTermRootCredentialUsage', T],
    ['PrivilegeEscalation:IAMUser/AnomalousBehavior', C],
    ['Recon:IAMUser/MaliciousIPCaller', C],
    ['Recon:IAMUser/MaliciousIPCaller.Custom', C],
    ['Recon:IAMUser/TorIPCaller', C],
    ['Stealth:IAMUser/CloudTrailLoggingDisabled', C],
    ['Stealth:IAMUser/PasswordPolicyChange', C],
    ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B', C],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS', C],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', C],
    ['UnauthorizedAccess:IAMUser/MaliciousIPCaller', C],
    ['UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom', C],
    ['UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.InsideAWS', C],
    ['UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS', C],
    ['UnauthorizedAccess:IAMUser/TorIPCaller', C],
  ],
  s3: [
    ['Discovery:S3/AnomalousBehavior', C],
    ['Discovery:S3/MaliciousIPCaller', C],
    ['Discovery:S3/MaliciousIPCaller.Custom', C],
    ['Discovery:S3/TorIPCaller', C],
    ['Exfiltration:S3/AnomalousBehavior', C],
    ['Exfiltration:S3/MaliciousIPCaller', C],
    ['Impact:S3/AnomalousBehavior.Delete', C],
    ['Impact:S3/AnomalousBehavior.Permission', C],
    ['Impact:S3/AnomalousBehavior.Write', C],
    ['Impact:S3/MaliciousIPCaller', C],
    ['PenTest:S3/KaliLinux', C],
    ['PenTest:S3/ParrotLinux', C],
    ['PenTest:S3/PentooLinux', C],
    ['Policy:S3/AccountBlockPublicAccessDisabled', E, ['AccessKey', 'S3Bucket']],
    ['Policy:S3/BucketAnonymousAccessGranted', E, ['AccessKey', 'S3Bucket']],
    ['Policy:S3/BucketBlockPublicAccessDisabled', E, ['AccessKey', 'S3Bucket']],
    ['Policy:S3/BucketPublicAccessGranted', E, ['AccessKey', 'S3Bucket']],
    ['Stealth:S3/ServerAccessLoggingDisabled', C, ['AccessKey', 'S3Bucket']],
    ['UnauthorizedAccess:S3/MaliciousIPCaller.Custom', C],
    ['UnauthorizedAccess:S3/TorIPCaller', C],
  ],
  'eks-audit': [
    ['CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed', C],
    ['CredentialAccess:Kubernetes/MaliciousIPCaller', C],
    ['CredentialAccess:Kubernetes/MaliciousIPCaller.Custom', C],
    ['CredentialAccess:Kubernetes/SuccessfulAnonymousAccess', C],
    ['CredentialAccess:Kubernetes/TorIPCaller', C],
    ['DefenseEvasion:Kubernetes/MaliciousIPCaller', C],
    ['DefenseEvasion:Kubernetes/MaliciousIPCaller.Custom', C],
    ['DefenseEvasion:Kubernetes/SuccessfulAnonymousAccess', C],
    ['DefenseEvasion:Kubernetes/TorIPCaller', C],
    ['Discovery:Kubernetes/AnomalousBehavior.PermissionChecked', C],
    ['Discovery:Kubernetes/MaliciousIPCaller', C],
    ['Discovery:Kubernetes/MaliciousIPCaller.Custom', C],
    ['Discovery:Kubernetes/SuccessfulAnonymousAccess', C],
    ['Discovery:Kubernetes/TorIPCaller', C],
    ['Execution:Kubernetes/AnomalousBehavior.ExecInPod', C],
    ['Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed', C],
    ['Execution:Kubernetes/ExecInKubeSystemPod', C],
    ['Impact:Kubernetes/MaliciousIPCaller', C],
    ['Impact:Kubernetes/MaliciousIPCaller.Custom', C],
    ['Impact:Kubernetes/SuccessfulAnonymousAccess', C],
    ['Impact:Kubernetes/TorIPCaller', C],
    ['Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount', C],
    ['Persistence:Kubernetes/MaliciousIPCaller', C],
    ['Persistence:Kubernetes/MaliciousIPCaller.Custom', C],
    ['Persistence:Kubernetes/SuccessfulAnonymousAccess', C],
    ['Persistence:Kubernetes/TorIPCaller', C],
    ['Policy:Kubernetes/AdminAccessToDefaultServiceAccount', T],
    ['Policy:Kubernetes/AnonymousAccessGranted', T],
    ['Policy:Kubernetes/ExposedDashboard', T],
    ['Policy:Kubernetes/KubeflowDashboardExposed', T],
    ['PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated', C],
    ['PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleCreated', C],
    ['PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer', C],
  ],
  runtime: [
    ['Backdoor:Runtime/C&CActivity.B', C],
    ['Backdoor:Runtime/C&CActivity.B!DNS', C],
    ['CryptoCurrency:Runtime/BitcoinTool.B', C],
    ['CryptoCurrency:Runtime/BitcoinTool.B!DNS', C],
    ['DefenseEvasion:Runtime/FilelessExecution', C],
    ['DefenseEvasion:Runtime/KernelModuleLoaded', C],
    ['DefenseEvasion:Runtime/ProcessInjection.Proc', C],
    ['DefenseEvasion:Runtime/ProcessInjection.Ptrace', C],
    ['DefenseEvasion:Runtime/ProcessInjection.VirtualMemoryWrite', C],
    ['DefenseEvasion:Runtime/PtraceAntiDebugging', C],
    ['DefenseEvasion:Runtime/SensitiveFileModified', C],
    ['DefenseEvasion:Runtime/SuspiciousCommand', C],
    ['Discovery:Runtime/SuspiciousCommand', C],
    ['Execution:Runtime/MaliciousFileExecuted', C],
    ['Execution:Runtime/MaliciousFileExecuted.Custom', C],
    ['Execution:Runtime/NewBinaryExecuted', C],
    ['Execution:Runtime/NewLibraryLoaded', C],
    ['Execution:Runtime/ReverseShell', C],
    ['Execution:Runtime/SuspiciousCommand', C],
    ['Execution:Runtime/SuspiciousShellCreated', C],
    ['Execution:Runtime/SuspiciousTool', C],
    ['Impact:Runtime/AbusedDomainRequest.Reputation', C],
    ['Impact:Runtime/BitcoinDomainRequest.Reputation', C],
    ['Impact:Runtime/CryptoMinerExecuted', C],
    ['Impact:Runtime/MaliciousDomainRequest.Reputation', C],
    ['Impact:Runtime/SuspiciousDomainRequest.Reputation', C],
    ['Persistence:Runtime/SensitiveFileModified', C],
    ['Persistence:Runtime/SuspiciousCommand', C],
    ['PrivilegeEscalation:Runtime/SensitiveFileModified', C],
    ['PrivilegeEscalation:Runtime/SuspiciousCommand', C],
    ['Trojan:Runtime/BlackholeTraffic', C],
    ['Trojan:Runtime/BlackholeTraffic!DNS', C],
    ['Trojan:Runtime/DGADomainRequest.C!DNS', C],
    ['Trojan:Runtime/DriveBySourceTraffic!DNS', C],
    ['Trojan:Runtime/DropPoint', C],
    ['Trojan:Runtime/DropPoint!DNS', C],
    ['Trojan:Runtime/PhishingDomainRequest!DNS', C],
    ['UnauthorizedAccess:Runtime/MetadataDNSRebind', C],
    ['UnauthorizedAccess:Runtime/TorClient', C],
    ['UnauthorizedAccess:Runtime/TorRelay', C],
  ],
  'malware-ec2': [
    ['Execution:Container/MaliciousFile', C, ['Container']],
    ['Execution:Container/SuspiciousFile', S, ['Container']],
    ['Execution:EC2/MaliciousFile', C],
    ['Execution:EC2/SuspiciousFile', S],
    ['Execution:ECS/MaliciousFile', C, ['ECSCluster']],
    ['Execution:ECS/SuspiciousFile', S, ['ECSCluster']],
    ['Execution:Kubernetes/MaliciousFile', C, ['EKSCluster']],
    ['Execution:Kubernetes/SuspiciousFile', S, ['EKSCluster']],
  ],
  'malware-s3': [['Object:S3/MaliciousFile', C]],
  'malware-backup': [
    ['Execution:EC2/MaliciousFile!AMI', C, ['EC2Image']],
    ['Execution:EC2/MaliciousFile!RecoveryPoint', C],
    ['Execution:EC2/MaliciousFile!Snapshot', C, ['EBSSnapshot']],
    ['Execution:S3/MaliciousFile!RecoveryPoint', C],
  ],
  rds: [
    ['CredentialAccess:RDS/AnomalousBehavior.FailedLogin', T],
    ['CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce', C],
    ['CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin', C],
    ['CredentialAccess:RDS/MaliciousIPCaller.FailedLogin', T],
    ['CredentialAccess:RDS/MaliciousIPCaller.SuccessfulLogin', C],
    ['CredentialAccess:RDS/TorIPCaller.FailedLogin', T],
    ['CredentialAccess:RDS/TorIPCaller.SuccessfulLogin', C],
    ['Discovery:RDS/MaliciousIPCaller', T],
    ['Discovery:RDS/TorIPCaller', T],
  ],
  lambda: [
    ['Backdoor:Lambda/C&CActivity.B', C],
    ['CryptoCurrency:Lambda/BitcoinTool.B', C],
    ['Trojan:Lambda/BlackholeTraffic', C],
    ['Trojan:Lambda/DropPoint', C],
    ['UnauthorizedAccess:Lambda/MaliciousIPCaller.Custom', C],
    ['UnauthorizedAccess:Lambda/TorClient', C],
    ['UnauthorizedAccess:Lambda/TorRelay', C],
  ],
  'attack-sequence': [
    ['AttackSequence:EC2/CompromisedInstanceGroup', C],
    ['AttackSequence:ECS/CompromisedCluster', C],
    ['AttackSequence:EKS/CompromisedCluster', C],
    ['AttackSequence:IAM/CompromisedCredentials', C],
    ['AttackSequence:S3/CompromisedData', C],
  ],
  'ai-protection': [
    ['Impact:IAMUser/AnomalousModelInvocation', C],
    ['Impact:IAMUser/CostHarvesting', C],
    ['Impact:IAMUser/PromptInjection.Direct', T],
  ],
  'custom-detection': [
    ['CredentialAccess:EC2/UnsecuredCredentials', U],
    ['CredentialAccess:RDS/ModifyAuthenticationProcess', U],
    ['DefenseImpairment:EC2/DisableOrModifyTools', U],
    ['DefenseImpairment:Organizations/DisableOrModifyTools', U],
    ['DefenseImpairment:Organizations/ModifyCloudResourceHierarchy', U],
    ['DefenseImpairment:RDS/ModifyAuthenticationProcess', U],
    ['DefenseImpairment:Route53Resolver/DisableOrModifyTools', U],
    ['DefenseImpairment:S3/DisableOrModifyTools', U],
    ['Execution:SageMaker/CommandAndScriptingInterpreter', U],
    ['Exfiltration:EC2/TransferDataToCloudAccount', U],
    ['Exfiltration:RDS/TransferDataToCloudAccount', U],
    ['Exfiltration:S3/TransferDataToCloudAccount', U],
    ['Impact:S3/DataDestruction', U],
    ['Impact:SES/ResourceHijacking', U],
    ['InitialAccess:IAM/ValidAccounts', U],
    ['InitialAccess:RDS/ExploitPublicFacingApplication', U],
    ['LateralMovement:EC2/RemoteServices', U],
    ['Persistence:EC2/BootOrLogonInitializationScripts', U],
    ['Persistence:EC2/ExternalRemoteServices', U],
    ['Persistence:IAM/AccountManipulation', U],
    ['Persistence:Lambda/AccountManipulation', U],
    ['Persistence:Lambda/ModifyAuthenticationProcess', U],
    ['Persistence:RolesAnywhere/AccountManipulation', U],
    ['PrivilegeEscalation:IAM/AccountManipulation', U],
    ['ResourceDevelopment:SES/CompromiseAccounts', U],
  ],
};

/** Every row of the table, in family order. */
export const FINDING_TYPES: readonly FindingTypeEntry[] = Object.freeze(
  FAMILY_NAMES.flatMap((family) =>
    ROWS[family].map(([type, subject, resourceTypes]) =>
      Object.freeze({ type, family, subject, resourceTypes: resourceTypes ?? FINDING_FAMILIES[family].resourceTypes }),
    ),
  ),
);

const BY_TYPE = new Map(FINDING_TYPES.map((e) => [e.type, e]));

/**
 * The table's row for a finding type.
 * @param type - `detail.type`, exactly (GuardDuty types are case-sensitive).
 * @returns the row, or `undefined` for a type that was not on AWS's list when the table was taken.
 */
export function findingTypeEntry(type: string): FindingTypeEntry | undefined {
  return BY_TYPE.get(type);
}

/**
 * The anchor of a type's section in its family runbook: the type lower-cased, every run of characters
 * other than letters and digits replaced by one `-` (`Backdoor:EC2/C&CActivity.B!DNS` →
 * `backdoor-ec2-c-cactivity-b-dns`). GitHub's Markdown headings get the same anchor only for simple
 * names, so each runbook section carries an explicit `<a id>` with this value.
 */
export function runbookAnchor(type: string): string {
  return type
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The runbook file of a family, relative to the repository root. */
export function familyRunbook(family: FindingFamily): string {
  return `runbooks/findings/${family}.md`;
}

/** The runbook entry of a finding type (`runbooks/findings/<family>.md#<anchor>`), or the triage runbook for an unknown type. */
export function runbookEntry(type: string): string {
  const entry = findingTypeEntry(type);
  return entry
    ? `${familyRunbook(entry.family)}#${runbookAnchor(type)}`
    : 'runbooks/finding-triage/runbook.md#a-finding-type-firebreak-does-not-know';
}
