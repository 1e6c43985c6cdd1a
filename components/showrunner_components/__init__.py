"""showrunner's AWS components for Pulumi: a containerised web platform on EC2, one package each.

    fleet            Auto Scaling groups of Docker hosts whose containers run as systemd units
    image_pipeline   ECR repositories and Docker builds, tested before push, handed on by digest
    golden_ami       an EC2 Image Builder pipeline baking the fleet's host image
    load_balancer    an Application Load Balancer with a target group and rule per routed service
    network          a VPC with public and private subnets, or an existing one
    state            RDS MySQL, ElastiCache, DynamoDB tables and SQS queues, protected
    secrets          service secrets as SSM SecureStrings under a customer-managed KMS key
    delivery         GitHub OIDC and least-privilege preview and deploy roles
    permissions_boundary  the most any role a deploy role creates may do
    observability    the encrypted alert topic and its subscribers, the stack's dashboard, the alarm builders

Each package exports its ComponentResource and Args; its pure builders are modules of their own.
`provider` hosts all nine for programs in other languages (`pulumi package add ./components`).
"""

__version__ = "0.1.0"
"""The package's version: its distribution's, and the component provider's schema version."""
