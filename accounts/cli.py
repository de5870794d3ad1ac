"""Command-line management of agencies and users, for deployment scripts."""
import click
from flask.cli import AppGroup

from extensions import db

from . import services
from .models import AgencyKind

agencies_cli = AppGroup("agencies", help="Manage agencies.")
users_cli = AppGroup("users", help="Manage user accounts.")


def _fail(error):
    """Turn a rule broken into a clear message and a non-zero exit."""
    db.session.rollback()
    raise click.ClickException(str(error))


@agencies_cli.command("create")
@click.option("--code", required=True, help="Short unique code, e.g. SO-NV.")
@click.option("--name", required=True, help="Full name, e.g. 'Sở Nội vụ'.")
@click.option("--parent", "parent_code", default=None, help="Code of the parent agency.")
@click.option("--kind", type=click.Choice([k.value for k in AgencyKind]), default=AgencyKind.DEPARTMENT.value,
              show_default=True)
def create_agency_command(code, name, parent_code, kind):
    """Create an agency."""
    try:
        agency = services.create_agency(code, name, kind, parent_code)
        db.session.commit()
    except services.AccountError as error:
        _fail(error)
    click.echo(f"Created agency {agency.code}: {agency.name}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, help="citizen, staff, leader, moderator or admin.")
@click.option("--agency", "agency_code", default=None, help="Agency code (required for staff and leaders).")
@click.option("--name", "display_name", default=None, help="Display name.")
def create_user_command(email, password, role, agency_code, display_name):
    """Create a user account."""
    try:
        user = services.create_user(email, password, role, agency_code, display_name)
        db.session.commit()
    except services.AccountError as error:
        _fail(error)
    click.echo(f"Created {user.role.value} {user.email}")
