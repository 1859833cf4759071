from hubkit.serving import serve

from .bootstrap import create_app
from .settings import CatalogSettings

if __name__ == "__main__":
    serve(create_app, CatalogSettings())
