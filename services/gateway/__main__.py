"""`python -m services.gateway`: serve() with settings from the environment (PARLEY_*)."""

from services.gateway.app import serve
from services.settings import get_settings

if __name__ == "__main__":
    serve(get_settings())
