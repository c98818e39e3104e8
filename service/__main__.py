"""`python -m service` runs the service, like `lagesbild serve`."""

import sys

from service.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["serve"]))
