from shared.auth.api_keys import hash_secret, new_key_secret, parse_key
from shared.listing import ListQuery, paginate


def test_pages_are_zero_based_and_counts_tell_total_and_filtered():
    names = [f"item {i}" for i in range(25)] + ["special one"]
    page = paginate(names, ListQuery(pageIndex=1, pageSize=10), searchable=str)
    assert page["items"] == names[10:20]
    assert (page["totalCount"], page["filteredCount"], page["pageIndex"], page["pageSize"]) == (26, 26, 1, 10)

    found = paginate(names, ListQuery(search="SPECIAL"), searchable=str)
    assert found["items"] == ["special one"]
    assert (found["totalCount"], found["filteredCount"], found["search"]) == (26, 1, "SPECIAL")


def test_a_new_key_parses_back_to_its_ids_and_only_the_hash_is_kept():
    key, stored_hash = new_key_secret("proj_abc", "key_def")
    project_id, key_id, secret = parse_key(key)
    assert (project_id, key_id) == ("proj_abc", "key_def")
    assert stored_hash == hash_secret(secret)
    assert secret not in stored_hash


def test_keys_of_another_shape_do_not_parse():
    for text in ("", "oa.a.b", "xx.a.b.c", "oa..b.c", "oa.a.b.c.d"):
        assert parse_key(text) is None
