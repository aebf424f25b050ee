"""Fivetran Connector SDK entry point for toast-connector.

The work lives in the `toast_connector` package, exported from the notebooks in `nbs/`; this file only
wires it into the SDK. `python connector.py` runs a debug sync with `configuration.json`.
"""
import json
from pathlib import Path

from fivetran_connector_sdk import Connector

from toast_connector.form import configuration_form
from toast_connector.sync import schema, update

connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

if __name__ == "__main__":
    configuration = json.loads((Path(__file__).parent / "configuration.json").read_text())
    connector.debug(configuration=configuration)
