"""The demo county (`lagesbild demo`) and its local mail sink."""
