variable "region" {
  description = "AWS region. Only Canadian regions are accepted (PIPEDA residency)."
  type        = string
  default     = "ca-central-1"
  validation {
    condition     = contains(["ca-central-1", "ca-west-1"], var.region)
    error_message = "The region must be ca-central-1 or ca-west-1: North keeps personal data in Canada."
  }
}

variable "environment" {
  description = "Name of this deployment (production, staging): prefixes every resource."
  type        = string
  default     = "production"
}

variable "vpc_cidr" {
  description = "The VPC's range; the ALB connects from it, so it is NORTH_TRUSTED_PROXIES."
  type        = string
  default     = "10.40.0.0/16"
}

variable "image" {
  description = "The nginx image (deploy/Dockerfile) in ECR, by digest: 123456789012.dkr.ecr.ca-central-1.amazonaws.com/north@sha256:..."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the public host name, for the ALB's HTTPS listener."
  type        = string
}

variable "public_origin" {
  description = "The public HTTPS origin of the API (NORTH_PUBLIC_ORIGIN), e.g. https://api.north.ca."
  type        = string
}

variable "node_count" {
  description = "Fargate tasks (nginx nodes). Each opens workers x (pool + 1) PostgreSQL connections."
  type        = number
  default     = 2
}

variable "task_cpu" {
  description = "CPU units of a task (1024 = 1 vCPU); worker_processes auto follows it."
  type        = number
  default     = 1024
}

variable "task_memory" {
  description = "Memory of a task, MiB."
  type        = number
  default     = 2048
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "RDS storage, GiB (grows automatically to 5x)."
  type        = number
  default     = 50
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups (point-in-time recovery)."
  type        = number
  default     = 14
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "log_retention_days" {
  description = "CloudWatch retention of nginx's logs, days."
  type        = number
  default     = 90
}

variable "sentry" {
  description = "Report errors to Sentry: adds the SENTRY_DSN secret (a self-hosted Sentry in ca-central-1 keeps events in Canada; docs/operations.md, \"Error tracking\")."
  type        = bool
  default     = false
}
