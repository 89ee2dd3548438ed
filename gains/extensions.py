"""Flask extensions, created here without an app and bound in `create_app`.

Keeping them at module level lets models, services and views import them without
importing the app (microblog's pattern), and keeps the factory free of side effects.
"""

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from gains.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
htmx = HTMX()
