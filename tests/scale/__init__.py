"""Scale-out tests: remote Rasa servers sharing PostgreSQL and Redis, and the deployment files."""
