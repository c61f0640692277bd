"""Cloud step: Pulumi program for the "1+N+M" platforms, and the offline planner that runs it under mocks."""
