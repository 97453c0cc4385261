"""Execution backends behind one executor contract (local, Slurm, Kubernetes, peer site)."""
