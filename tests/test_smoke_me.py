from django.urls import reverse


def test_me_with_token_lists_enrolments(world, client):
    response = client.post(reverse("api-token"), {"username": "ug1", "password": "pw-portal-test"})
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    me = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}").json()
    assert me["username"] == "ug1"
    assert me["roles"] == ["student"]
    assert [(e["section"], e["status"], e["grading_basis"]) for e in me["enrolments"]] == [
        ("CS 4644", "enrolled", "credit")
    ]
    assert me["calendar_url"].endswith(".ics")
