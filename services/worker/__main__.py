"""`python -m services.worker`: one worker process, settings from the environment (PARLEY_*)."""

from services.worker.main import main

if __name__ == "__main__":
    main()
