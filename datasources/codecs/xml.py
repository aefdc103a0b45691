from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from datasources.codecs.errors import CodecError
from datasources.config import XmlOptions


def decode_xml(body: bytes, options: XmlOptions) -> dict[str, Any]:
    """Parse XML safely (no entities, no external references) into nested dicts.

    The root element becomes the single key of the result. Attributes are keyed with
    ``attribute_prefix``, text next to attributes or children with ``text_key``; repeated
    children become lists. Elements in a configured namespace are named ``prefix_local``,
    others by their local name, so JMESPath expressions stay plain identifiers.
    """
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise CodecError(f"unsafe XML refused: {type(exc).__name__}") from None
    except ParseError as exc:
        raise CodecError(f"malformed XML: {exc}") from None
    names = {uri: prefix for prefix, uri in options.namespaces.items()}
    return {_name(root.tag, names): _convert(root, names, options)}


def _name(tag: str, names: dict[str, str]) -> str:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        prefix = names.get(uri)
        return f"{prefix}_{local}" if prefix else local
    return tag


def _convert(element: Element, names: dict[str, str], options: XmlOptions) -> Any:
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text
    node: dict[str, Any] = {
        options.attribute_prefix + _name(k, names): v for k, v in element.attrib.items()
    }
    for child in children:
        key = _name(child.tag, names)
        value = _convert(child, names, options)
        existing = node.get(key)
        if existing is None:
            node[key] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            node[key] = [existing, value]
    if text:
        node[options.text_key] = text
    return node


def encode_xml_ids(root: str, element: str, ids: Sequence[str], namespace: str | None) -> bytes:
    """A request body listing ids, e.g. ``<lookup><number>M-1</number></lookup>``."""
    qualify = (lambda n: f"{{{namespace}}}{n}") if namespace else (lambda n: n)
    body = Element(qualify(root))
    for value in ids:
        SubElement(body, qualify(element)).text = value
    encoded: bytes = tostring(body, encoding="utf-8", xml_declaration=True)
    return encoded
