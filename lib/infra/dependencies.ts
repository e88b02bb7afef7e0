import * as iam from 'aws-cdk-lib/aws-iam';
import { Dependable, IConstruct, IDependable } from 'constructs';

/**
 * A dependable that stands for every IAM policy created under a role (its default policy and any
 * policy scoped to it), evaluated when the template is synthesized, so that policies added after this
 * call are included. Depending on it orders a resource after the role's permissions without the
 * redundant `DependsOn` on the role itself (cfn-lint W3005).
 * @param role - the role.
 * @returns the dependable.
 */
export function policiesOf(role: iam.Role): IDependable {
  const dependable: IDependable = {};
  Dependable.implement(dependable, {
    get dependencyRoots(): IConstruct[] {
      return role.node.findAll().filter((c) => c instanceof iam.Policy);
    },
  });
  return dependable;
}
