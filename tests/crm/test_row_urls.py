"""{% row_url %} gives exactly what {% url %} gives, for a list's many rows."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

NAMES = ["followups:detail", "followups:toggle_completed", "crm:company", "crm:person"]


def render(text: str, **context) -> str:
    return Template("{% load row_urls %}" + text).render(Context(context))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pk", [1, 42, 10**12])
def test_it_gives_what_url_gives(name, pk):
    assert render("{% row_url name pk %}", name=name, pk=pk) == reverse(name, args=[pk])
    assert render("{% url name pk %}", name=name, pk=pk) == reverse(name, args=[pk])


def test_it_follows_the_script_prefix():
    try:
        set_script_prefix("/sales/")
        assert render("{% row_url 'crm:company' 7 %}") == "/sales/crm/companies/7/"
    finally:
        clear_script_prefix()
    assert render("{% row_url 'crm:company' 7 %}") == "/crm/companies/7/"


def test_it_can_be_kept_in_a_variable():
    assert (
        render("{% row_url 'crm:person' 3 as link %}<{{ link }}>")
        == "<" + reverse("crm:person", args=[3]) + ">"
    )


def test_a_name_without_one_number_is_refused():
    with pytest.raises(NoReverseMatch):
        render("{% row_url 'followups:activity_list' 3 %}")
