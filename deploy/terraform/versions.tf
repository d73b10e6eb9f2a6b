# North on AWS in Canada: a VPC, RDS PostgreSQL 15, ElastiCache Redis 7 and
# the nginx image on ECS Fargate behind an ALB. docs/operations.md gives
# the first deployment step by step. The providers cannot be downloaded
# where the tests run, so `terraform validate` is not run there; `terraform
# fmt -check` is (t/deploy.t).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "north"
      Environment = var.environment
      DataRegion  = var.region
    }
  }
}

# PIPEDA residency: what the provider reaches must be the region asked for
data "aws_region" "current" {}

check "canadian_region" {
  assert {
    condition     = contains(["ca-central-1", "ca-west-1"], data.aws_region.current.name)
    error_message = "North's data stays in Canada: the provider's region is ${data.aws_region.current.name}."
  }
}
