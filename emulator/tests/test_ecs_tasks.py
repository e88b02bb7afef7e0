"""An ECS task stays RUNNING when it is read, and StopTask stops it (the patched server)."""

from __future__ import annotations

from conftest import ClientFactory


def test_a_running_task_stays_running_until_stopped(client: ClientFactory) -> None:
    ec2, ecs = client("ec2"), client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    ecs.create_cluster(clusterName="c")
    definition = ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "memory": 512, "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(
        cluster="c",
        taskDefinition=definition,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
    )["tasks"][0]["taskArn"]
    for _ in range(6):
        task = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
        assert (task["lastStatus"], task["desiredStatus"]) == ("RUNNING", "RUNNING")
    ecs.stop_task(cluster="c", task=arn, reason="case fb-1")
    task = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
    assert (task["lastStatus"], task["desiredStatus"], task["stoppedReason"]) == ("STOPPED", "STOPPED", "case fb-1")
