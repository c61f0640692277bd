"""CI integration: validation problems as annotations and JUnit XML, the plan as one pull-request comment
kept up to date, and the pipeline templates for GitHub Actions and GitLab CI."""
