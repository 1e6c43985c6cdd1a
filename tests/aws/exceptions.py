"""Hand-listed exceptions to what AWS's data alone would demand, each with why.

CloudFormation's handler permission lists cover every feature of a resource type; a stack that does
not use a feature does not need its permissions. Each entry names the permissions (patterns, as
IAM matches them) and the input whose absence makes them unneeded, or why they never apply here.
"""

from __future__ import annotations

# CloudFormation type → [(permission patterns, pulumi input that would need them (None: never here), why)].
UNUSED_FEATURES: dict[str, list[tuple[tuple[str, ...], str | None, str]]] = {
    "AWS::AutoScaling::AutoScalingGroup": [
        (("managed-fleets:*",), None, "the managed-fleets integration of CloudFormation's own handler; the Auto Scaling API never calls it"),
        (("vpc-lattice:*",), "trafficSources", "VPC Lattice target groups; the groups attach ALB target groups only"),
        (("autoscaling:PutNotificationConfiguration", "autoscaling:DeleteNotificationConfiguration"), "notificationConfigurations", "SNS notifications of group events"),
        (("autoscaling:SuspendProcesses", "autoscaling:ResumeProcesses"), "suspendedProcesses", "suspended scaling processes"),
        (("autoscaling:AttachLoadBalancers", "autoscaling:DetachLoadBalancers"), "loadBalancers", "Classic Load Balancers"),
        (("ssm:Get*",), None, "resolving an SSM parameter as the launch template's AMI at launch; the program resolves the AMI id itself (imageId is an ami- id)"),
        (("ec2:Get*",), None, "CloudFormation's handler reads instance-requirements data; the launch template names instance types"),
    ],
    "AWS::RDS::DBInstance": [
        (("rds:CreateDBInstanceReadReplica", "rds:PromoteReadReplica"), "replicateSourceDb", "read replicas"),
        (("rds:RestoreDBInstanceFromDBSnapshot",), "snapshotIdentifier", "restoring from a snapshot"),
        (("rds:RestoreDBInstanceToPointInTime",), "restoreToPointInTime", "point-in-time restore"),
        (("rds:StartDBInstanceAutomatedBackupsReplication", "rds:StopDBInstanceAutomatedBackupsReplication"), None, "cross-Region backup replication is not configured"),
        (("rds:AddRoleToDBInstance", "rds:RemoveRoleFromDBInstance"), None, "no IAM role is associated with the instance"),
        (("rds:DescribeDBClusters", "rds:DescribeDBClusterSnapshots"), None, "Aurora clusters; the instance is a standalone MySQL"),
        (("iam:PassRole",), "monitoringRoleArn", "enhanced monitoring role"),
        (("kms:CreateGrant",), "kmsKeyId", "a customer-managed storage key; storage uses the AWS-managed key"),
        (("iam:ListRoles",), None, "CloudFormation's handler lists roles to find the monitoring role"),
    ],
    "AWS::ECR::Repository": [
        (("ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy"), "policy", "a repository policy; pulls are granted by the fleet roles' identity policies"),
        (("kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"), "encryptionConfigurations[].kmsKey", "a customer-managed key; the repositories use AWS's managed aws/ecr key"),
        (("ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy"), None, "pulumi-aws manages the lifecycle policy as its own resource (aws:ecr/lifecyclePolicy)"),
    ],
    "AWS::ImageBuilder::ImagePipeline": [
        (("imagebuilder:GetContainerRecipe",), "containerRecipeArn", "container pipelines"),
        (("imagebuilder:GetWorkflow",), "workflows", "custom workflows"),
        (("ecr:BatchGetRepositoryScanningConfiguration", "inspector2:BatchGetAccountStatus"), "imageScanningConfiguration", "image scanning by Inspector"),
        (("iam:PassRole",), "executionRole", "a workflow execution role"),
    ],
    "AWS::ImageBuilder::Component": [
        (("kms:GenerateDataKey*", "kms:Decrypt", "kms:Encrypt"), "kmsKeyId", "a customer-managed key for the component document"),
    ],
    "AWS::ImageBuilder::DistributionConfiguration": [
        (("ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DescribeLaunchTemplates"), "distributions[].launchTemplateConfigurations",
         "distributing the AMI into a launch template; fleets read the AMI id from the SSM parameter"),
    ],
    "AWS::DynamoDB::Table": [
        (("dynamodb:CreateTableReplica", "dynamodb:AssociateTableReplica", "dynamodb:DeleteTableReplica"), "replicas", "global table replicas"),
        (("kinesis:*", "dynamodb:*KinesisStreamingDestination"), None, "Kinesis streaming of changes is not configured"),
        (("dynamodb:ImportTable", "dynamodb:DescribeImport", "logs:*", "s3:GetObject", "s3:ListBucket"), "importTable", "importing a table from S3"),
        (("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"),
         None, "CloudFormation's handler touches items for its own import and contributor-insights checks; a deploy never reads or writes items"),
        (("dynamodb:UpdateContributorInsights",), None, "contributor insights are not enabled"),
        (("dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"), "resourcePolicy", "a resource-based policy on the table"),
        (("kms:CreateGrant", "kms:RevokeGrant", "kms:DescribeKey", "kms:Decrypt", "kms:Encrypt"), "serverSideEncryption.kmsKeyArn", "a customer-managed table key; tables use the AWS-owned key"),
        (("iam:CreateServiceLinkedRole",), "replicas", "the replication role of global tables"),
        (("application-autoscaling:*",), None, "on-demand tables have no capacity scaling"),
    ],
    "AWS::ElastiCache::ReplicationGroup": [
        (("firehose:*", "logs:*"), "logDeliveryConfigurations", "engine log delivery to CloudWatch Logs or Firehose"),
        (("kms:CreateGrant", "kms:DescribeKey"), "kmsKeyId", "a customer-managed key; encryption at rest uses the AWS-managed key"),
        (("elasticache:ModifyReplicationGroupShardConfiguration",), "numNodeGroups", "cluster mode (shards); the group is one shard"),
    ],
    "AWS::ElasticLoadBalancingV2::Listener": [
        (("cognito-idp:*",), None, "no listener action authenticates through Cognito"),
    ],
    "AWS::ElasticLoadBalancingV2::ListenerRule": [
        (("cognito-idp:*",), None, "no rule action authenticates through Cognito"),
    ],
    "AWS::ElasticLoadBalancingV2::LoadBalancer": [
        (("elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:DescribeCapacityReservation"), "minimumLoadBalancerCapacity", "reserved LCU capacity"),
    ],
    "AWS::EC2::EIP": [
        (("ec2:AcceptAddressTransfer",), "transferAddress", "transferring an address from another account"),
        (("ec2:AssociateAddress", "ec2:DisassociateAddress"), "instance", "an address attached to an instance; the NAT gateways take theirs by allocation id"),
    ],
    "AWS::EC2::NatGateway": [
        (("ec2:AssignPrivateNatGatewayAddress", "ec2:UnassignPrivateNatGatewayAddress"), "secondaryPrivateIpAddresses", "secondary private addresses"),
    ],
    "AWS::EC2::VPC": [
        (("ec2:CreateVpcEncryptionControl", "ec2:ModifyVpcEncryptionControl", "ec2:DeleteVpcEncryptionControl"), None, "VPC encryption controls are not configured"),
    ],
    "AWS::EC2::SecurityGroup": [
        (("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress"), "ingress",
         "inline ingress rules; every rule is its own aws:vpc/securityGroupIngressRule resource"),
        (("ec2:AuthorizeSecurityGroupEgress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress"), "egress",
         "inline egress rules; every rule is its own aws:vpc/securityGroupEgressRule resource (the default egress rule is still revoked on create)"),
    ],
    "AWS::AutoScaling::ScalingPolicy": [
        (("cloudwatch:GetMetricData",), "predictiveScalingConfiguration", "predictive scaling"),
    ],
    "AWS::AutoScaling::LifecycleHook": [
        (("iam:PassRole",), "roleArn", "a notification target's role; the drain hook has none"),
    ],
    "AWS::Logs::LogGroup": [
        (("logs:AssociateKmsKey", "logs:DisassociateKmsKey"), "kmsKeyId", "a customer-managed key for the log group"),
        (("logs:PutDataProtectionPolicy", "logs:DeleteDataProtectionPolicy"), None, "log data protection policies are not configured"),
        (("logs:PutIndexPolicy", "logs:DeleteIndexPolicy"), None, "field index policies are not configured"),
        (("logs:PutResourcePolicy", "logs:DeleteResourcePolicy"), None, "resource policies are not configured"),
        (("logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:UpdateLogDelivery", "firehose:*"), None, "vended log delivery is not configured"),
        (("logs:PutBearerTokenAuthentication",), None, "bearer-token ingestion is not configured"),
        (("logs:PutLogGroupDeletionProtection",), "deletionProtectionEnabled", "log group deletion protection"),
    ],
    "AWS::S3::Bucket": [
        (("s3:PutAccelerateConfiguration", "s3:PutAnalyticsConfiguration", "s3:PutBucketAbac", "s3:PutBucketCORS", "s3:PutBucketLogging",
          "s3:PutBucketNotification", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketOwnershipControls", "s3:PutBucketAcl", "s3:PutObjectAcl",
          "s3:PutBucketVersioning", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite", "s3:PutEncryptionConfiguration",
          "s3:PutIntelligentTieringConfiguration", "s3:PutInventoryConfiguration", "s3:PutMetricsConfiguration", "s3:PutReplicationConfiguration",
          "s3:*BucketMetadata*TableConfiguration", "s3tables:*", "iam:PassRole"), None,
         "bucket configurations pulumi-aws keeps as their own resources; the stack sets only the public access block and lifecycle, each its own resource"),
        (("s3:PutLifecycleConfiguration", "s3:PutBucketPublicAccessBlock"), None, "set through their own resources (bucketLifecycleConfiguration, bucketPublicAccessBlock), checked there"),
    ],
    "AWS::IAM::Role": [
        (("iam:DeleteRolePermissionsBoundary",), None,
         "the deploy role may never lift a role's permissions boundary; the deny list requires it denied"),
    ],
    "AWS::CloudWatch::Dashboard": [
        (("cloudwatch:TagResource", "cloudwatch:UntagResource"), "tags", "pulumi-aws's Dashboard takes no tags: the dashboard is named, not tagged, into scope"),
    ],
    "AWS::Events::Rule": [
        (("iam:PassRole",), "roleArn", "a role for the rule's targets; the alert topic admits EventBridge by its own policy"),
    ],
    "AWS::SNS::Subscription": [
        (("iam:GetRole", "iam:PassRole"), "subscriptionRoleArn", "the role of Firehose subscriptions; the e-mail and HTTPS ones have none"),
        (("sns:SetSubscriptionAttributes",), None, "no subscription attribute is set, and every input the stack sets (topic, protocol, endpoint) replaces the subscription"),
    ],
    "AWS::SNS::Topic": [
        (("sns:PutDataProtectionPolicy",), "dataProtectionPolicy", "message data protection"),
        (("sns:Subscribe", "sns:Unsubscribe"), None, "subscriptions are their own resources (aws:sns/topicSubscription), checked there"),
        (("iam:PassRole",), None, "delivery-status logging roles are not configured"),
    ],
}

# Actions AWS never denies, so there is nothing to grant or to simulate.
NEVER_DENIED = frozenset({"sts:GetCallerIdentity"})
