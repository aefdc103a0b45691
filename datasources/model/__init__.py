"""The internal model and how upstream records map onto it: frozen dataclasses per entity,
the configured field specs, coercion of upstream values, and source keys."""

from datasources.model.coerce import build_coercer
from datasources.model.fields import PLAIN_PATH, FieldSpec, JMESPath, check_jmespath
from datasources.model.keys import KeyTemplate
from datasources.model.mapping import RecordMapper, compile_path, root_attributes
from datasources.model.models import (
    ENTITY_IS_LIST,
    ENTITY_MODELS,
    NO_ISSUES,
    ChannelPreference,
    CustomerProfile,
    Entity,
    LoyaltyMembership,
    ModelField,
    Order,
    OrderLine,
    ScalarKind,
    SupportTicket,
    model_fields,
)

__all__ = [
    "ENTITY_IS_LIST",
    "ENTITY_MODELS",
    "NO_ISSUES",
    "PLAIN_PATH",
    "ChannelPreference",
    "CustomerProfile",
    "Entity",
    "FieldSpec",
    "JMESPath",
    "KeyTemplate",
    "LoyaltyMembership",
    "ModelField",
    "Order",
    "OrderLine",
    "RecordMapper",
    "ScalarKind",
    "SupportTicket",
    "build_coercer",
    "check_jmespath",
    "compile_path",
    "model_fields",
    "root_attributes",
]
