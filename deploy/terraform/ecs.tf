resource "aws_cloudwatch_log_group" "north" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn
}

resource "aws_ecs_cluster" "main" {
  name = local.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

data "aws_iam_policy_document" "assume_task" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# pulls the image, writes logs, reads the secrets into the task's environment
resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_task.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in aws_secretsmanager_secret.north : s.arn]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.data.arn]
  }
}

resource "aws_iam_role_policy" "secrets" {
  name   = "secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.secrets.json
}

# the task itself calls no AWS API
resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.assume_task.json
}

locals {
  container_env = {
    DATA_REGION           = var.region
    PIPEDA_COMPLIANCE     = "true"
    PLAID_ENV             = "production"
    NORTH_PUBLIC_ORIGIN   = var.public_origin
    NORTH_TRUSTED_PROXIES = var.vpc_cidr
    # the VPC's DNS: RDS and ElastiCache fail-overs followed without reload
    NORTH_RESOLVER = "169.254.169.253"
    # error events name it (with SENTRY_DSN, a secret when var.sentry)
    NORTH_ENVIRONMENT = var.environment
    # the FCM key, given as a secret, written to a file by the entrypoint
    GOOGLE_APPLICATION_CREDENTIALS = "/var/lib/north/fcm-service-account.json"
  }
}

resource "aws_ecs_task_definition" "north" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  container_definitions = jsonencode([{
    name         = "north"
    image        = var.image
    essential    = true
    portMappings = [{ containerPort = 8443, protocol = "tcp" }]
    environment  = [for k, v in local.container_env : { name = k, value = v }]
    secrets      = [for k, s in aws_secretsmanager_secret.north : { name = k, valueFrom = s.arn }]
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1"]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 15
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.north.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "north"
      }
    }
    stopTimeout = 60
  }])
}

resource "aws_lb" "main" {
  name                       = local.name
  load_balancer_type         = "application"
  subnets                    = aws_subnet.public[*].id
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
}

resource "aws_lb_target_group" "north" {
  name        = local.name
  port        = 8443
  protocol    = "HTTPS"
  target_type = "ip"
  vpc_id      = aws_vpc.main.id
  health_check {
    protocol = "HTTPS"
    path     = "/readyz"
    matcher  = "200"
    interval = 10
  }
  deregistration_delay = 30
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.north.arn
  }
}

resource "aws_ecs_service" "north" {
  name            = local.name
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.north.arn
  desired_count   = var.node_count
  launch_type     = "FARGATE"
  network_configuration {
    subnets         = aws_subnet.private[*].id
    security_groups = [aws_security_group.task.id]
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.north.arn
    container_name   = "north"
    container_port   = 8443
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  depends_on = [aws_lb_listener.https]
}

# the migrations: the same image, run once per release before the service
# moves to it (docs/operations.md): aws ecs run-task ... --overrides
# '{"containerOverrides":[{"name":"north","command":["migrate"]}]}'
