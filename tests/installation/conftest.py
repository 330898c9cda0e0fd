"""The installation tests run on the logistics tests' fixtures (stores, the sample carrier, the demo
org, the JSON client): installation sits on top of logistics."""

from tests.logistics.conftest import _media_in_tmp_and_english, api, carrier, other_store, portal, store  # noqa: F401
