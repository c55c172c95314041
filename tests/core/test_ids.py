"""The one rule that makes an id from a person's name (agents, squads, projects)."""

from __future__ import annotations

from modeldesk.core.ids import ID_MAX_LENGTH, readable_id
from modeldesk.core.schema import Agent, Project, Squad


def test_a_name_becomes_a_readable_unused_id() -> None:
    assert readable_id("Research team", set(), "squad") == "research-team"
    assert readable_id("Research team", {"research-team", "research-team-2"}, "squad") == "research-team-3"
    assert readable_id("  QA / Review  ", set(), "squad") == "qa-review"
    assert readable_id("v1.2_beta", set(), "agent") == "v1.2_beta"
    assert readable_id("Straße", set(), "agent") == "strasse"


def test_a_name_with_nothing_usable_takes_the_fallback() -> None:
    assert readable_id("!!!", set(), "project") == "project"
    assert readable_id("", {"project"}, "project") == "project-2"


def test_a_very_long_name_still_gives_an_id_the_config_accepts() -> None:
    taken: set[str] = set()
    for _ in range(3):
        made = readable_id("word " * 100, taken, "agent")
        assert len(made) <= ID_MAX_LENGTH
        taken.add(made)
        Agent(id=made, name="x")
        Squad(id=made, name="x")
        Project(id=made, name="x")
    assert len(taken) == 3


def test_a_typed_name_means_one_agent_or_the_agents_it_fits() -> None:
    from modeldesk.core.ids import agent_choice, agent_named, agents_meant

    agents = [Agent(id="writer", name="Writer"), Agent(id="wr2", name="Rewriter"), Agent(id="analyst", name="Analyst")]
    assert agent_choice("Writer", "writer") == "Writer (writer)"
    assert agent_choice("analyst", "analyst") == "analyst"
    assert agent_named(agents, "Writer (writer)") == "writer"
    assert agent_named(agents, "REWRITER") == "wr2"
    assert agent_named(agents, "analyst") == "analyst"
    assert agent_named(agents, "wri") is None
    assert agents_meant(agents, "writer") == ["writer"]  # exact beats "Rewriter" containing it
    assert agents_meant(agents, "wri") == ["writer", "wr2"]
    assert agents_meant(agents, "anal") == ["analyst"]
    assert agents_meant(agents, "  ") == []
