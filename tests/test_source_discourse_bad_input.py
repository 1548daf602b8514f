"""Discourse source, odd and bad input: a response of another shape is reported and not
read, an empty page is nothing to read, and a file that cannot be read is a one-line
error naming it. The real and hand-written exports: test_source_discourse.py."""

from __future__ import annotations

import shutil

import pytest
from test_source_discourse import DATA, RESPONSES, _dropped, _kinds, _load

from communityroi import DataError


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"about": {"title": "x"}}', "keys: about"),
        ("{}", "keys: none"),
        ('[{"id": 1, "title": "a tag"}]', "a list of objects with keys: id, title"),
        ("[1, 2]", "a list, not of objects"),
        ('"hello"', "text"),
    ],
)
def test_a_response_of_another_shape_is_reported_not_read(tmp_path, text, reason):
    shutil.copytree(RESPONSES, tmp_path / "r")
    (tmp_path / "r" / "other.json").write_text(text, encoding="utf-8")
    assert _kinds(_load(tmp_path / "r")) == _kinds(_load(RESPONSES))
    drops = _dropped(tmp_path / "r")
    expected = f"not a Discourse API response this source reads ({reason})"
    assert ("other.json", expected, 1) in drops and len(drops) == len(_dropped(RESPONSES)) + 1


def test_an_empty_page_is_nothing_to_read(tmp_path):
    shutil.copy(RESPONSES / "admin_users_23.json", tmp_path)
    (tmp_path / "posts_9_replies.json").write_text("[]", encoding="utf-8")
    assert _kinds(_load(tmp_path)) == {"join": 1}
    assert _dropped(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("t_101.json", '{"post_stream": {"posts": [{"id": 1', "invalid JSON at line 1"),
        (
            "t_101.json",
            '{"post_stream": {"posts": [{"id": 1, "user_id": 2, "post_number": 1}]}}',
            "post 1 has no 'created_at'",
        ),
        (
            "t_101.json",
            '{"post_stream": {"posts": [{"id": "x", "user_id": 2}]}}',
            "field 'id' should be a number but is text",
        ),
        ("t_102.json", '{"post_stream": [], "id": 102}', "'post_stream' should be an object"),
        (
            "t_102_posts.json",
            '{"post_stream": {"posts": []}, "id": "vip"}',
            "topic 1: field 'id' should be a number but is text",
        ),
        (
            "t_102_posts.json",
            '{"post_stream": {"posts": {"id": 1}}, "id": 102}',
            "'post_stream.posts' should be a list of posts but is an object",
        ),
        (
            "posts_7.json",
            '{"id": 7, "user_id": 2, "created_at": "2024-01-01T00:00:00Z", '
            '"post_number": "two", "topic_id": 3}',
            "field 'post_number' should be a number but is text",
        ),
        (
            "posts_7_replies.json",
            '[{"id": 8, "user_id": 2, "post_number": 2, "topic_id": 3}]',
            "post 1 has no 'created_at'",
        ),
        (
            "posts_7_replies.json",
            '[{"id": 8, "user_id": 2, "created_at": "2024-01-01T00:00:00Z", "post_number": 2}]',
            "post 1 has no 'topic_id'",  # a loose post must say its topic
        ),
        (
            "posts_7.json",
            '{"id": 7, "user_id": 2, "created_at": "2024-01-01T00:00:00Z", "post_number": 2}',
            "post 1 has no 'topic_id'",
        ),
        ("latest.json", '{"users": [], "topic_list": {"topics": 3}}', "'topic_list.topics'"),
        ("u_x.json", '{"user": {"id": "x", "username": "x"}}', "field 'id' should be a number"),
        ("likes_501.json", '{"post_action_users": null}', "'post_action_users' should be a list"),
    ],
)
def test_bad_input_is_one_line_error_naming_the_file(tmp_path, name, text, expected):
    root = tmp_path / "forum"
    shutil.copytree(DATA / "forum", root)
    (root / name).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        _load(root)
    msg = str(err.value)
    assert name in msg and expected in msg and "\n" not in msg
