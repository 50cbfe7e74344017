"""The moderator's queue through the API and the workspace page: scoped, structured errors, events,
reject with a reason, secrets never shown; sources imported as registry data."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command

from otklik.accounts.models import Role
from otklik.intake.social import services
from otklik.intake.social.base import Item
from otklik.intake.social.fetch import fetch_all
from otklik.intake.social.models import Post, PostEvent, PostState, Source
from otklik.intake.social.pipeline import Pipeline, Recent
from otklik.registry.transfer import registry_import
from tests import factories as f
from tests.social.fakes import VK_TOKEN

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(region):
    terr = f.territory("Северодольск", kind="city_district")
    org = f.organization("Администрация Северодольска")
    roads = f.category("Дороги", keywords="яма, дорога")
    f.route(roads, org, terr)
    source = Source.objects.create(network="vk", name="Город", kind="wall", target="-1", token=VK_TOKEN)
    return {"terr": terr, "org": org, "roads": roads, "source": source,
            "moderator": f.user("moder", (Role.MODERATOR, org)),
            "executor": f.user("exec", (Role.EXECUTOR, org))}


def store(scene, texts):
    now = dt.datetime.now(tz=dt.UTC)
    items = [Item(external_id=f"-1_{n}", text=text, posted_at=now, raw={"id": n}, url=f"https://vk.com/wall-1_{n}",
                  thread={"owner_id": -1, "post_id": n}) for n, text in enumerate(texts, start=1)]
    return services.posts_store(source=scene["source"], items=items, cursor={"last_id": len(texts)},
                                pipeline=Pipeline(), recent=Recent())


def test_exact_and_near_duplicates_are_kept_but_not_queued(scene):
    result = store(scene, ["В Северодольске яма на дороге у школы номер пять, машины бьют колёса",
                           "В Северодольске яма на дороге у школы номер пять, машины бьют колёса",
                           "В Северодольске яма на дороге у школы номер пять, машины бьют колёса!!",
                           "Яма на дороге по улице Мира в Северодольске"])
    assert (result.new, result.duplicates) == (2, 2)
    first = Post.objects.get(external_id="-1_1")
    assert set(Post.objects.filter(state=PostState.DUPLICATE).values_list("duplicate_of", flat=True)) == {first.pk}
    assert Source.objects.get().cursor == {"last_id": 4}
    # The same items again (a restart): nothing is stored twice.
    again = store(scene, ["В Северодольске яма на дороге у школы номер пять, машины бьют колёса"])
    assert again.known == 1 and Post.objects.count() == 4


def test_the_api_is_for_moderators_and_answers_structured_errors(client, scene):
    store(scene, ["Яма на дороге в Северодольске"])
    post = Post.objects.get()
    assert client.get("/api/social/posts").status_code == 401
    client.force_login(scene["executor"])
    refused = client.get("/api/social/posts?state=new")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client.post(f"/api/social/posts/{post.pk}/accept", {}, content_type="application/json").status_code == 403
    client.force_login(scene["moderator"])
    no_reason = client.post(f"/api/social/posts/{post.pk}/reject", {"reason": " "}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json() == {
        "code": "reason_required", "message": no_reason.json()["message"], "field": "reason"}
    bad = client.post(f"/api/social/posts/{post.pk}/accept", {"category_id": 99999}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "category_id"
    rejected = client.post(f"/api/social/posts/{post.pk}/reject", {"reason": "реклама"},
                           content_type="application/json")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert PostEvent.objects.get(post=post).reason == "реклама"
    again = client.post(f"/api/social/posts/{post.pk}/accept", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    assert client.get("/api/social/posts/999999").status_code == 404


def test_accepting_with_high_importance_gives_four_working_hours(client, scene):
    store(scene, ["Яма на дороге в Северодольске"])
    post = Post.objects.get()
    client.force_login(scene["moderator"])
    answer = client.post(f"/api/social/posts/{post.pk}/accept",
                         {"organization_id": scene["org"].pk, "high_importance": True},
                         content_type="application/json")
    assert answer.status_code == 200, answer.content
    appeal = Post.objects.get().appeal
    assert appeal.high_importance and appeal.due_at is not None
    assert abs(appeal.due_at - dt.datetime.fromisoformat("2026-12-02T14:00:00+03:00")) < dt.timedelta(minutes=1)


def test_the_workspace_page_lists_accepts_and_rejects(client, scene):
    store(scene, ["Яма на дороге в Северодольске", "Сломан фонарь на дороге в Северодольске"])
    first, second = Post.objects.order_by("id")
    client.force_login(scene["executor"])
    assert client.get("/workspace/social/").status_code == 404
    client.force_login(scene["moderator"])
    page = client.get("/workspace/social/").content.decode()
    assert "Яма на дороге" in page and VK_TOKEN not in page and "…" in page
    assert 'href="/workspace/social/"' in client.get("/workspace/").content.decode()
    accepted = client.post(f"/workspace/social/{first.pk}/accept/", {f"p{first.pk}-category": scene["roads"].pk,
                                                                     f"p{first.pk}-organization": scene["org"].pk})
    assert accepted.status_code == 302
    client.post(f"/workspace/social/{second.pk}/reject/", {f"p{second.pk}-reason": "не наш район"})
    states = dict(Post.objects.values_list("pk", "state"))
    assert states == {first.pk: PostState.ACCEPTED, second.pk: PostState.REJECTED}


CSV = ("network,name,kind,target,api_base,token,territory,organization\n"
       "vk,Подслушано Северодольск,wall,-555,,vk1.a.secret-token-from-the-file-9876,Северодольск,"
       "Администрация Северодольска\n"
       "telegram,Чат,chat,-1001,https://proxy.example/tg/,123:ABC-secret-bot-token,,\n")


def test_sources_are_imported_as_registry_data_with_russian_errors(scene, tmp_path):
    dry = registry_import(kind="social_sources", data=CSV.encode(), filename="s.csv", dry_run=True)
    assert dry.ok and dry.created == 2 and Source.objects.count() == 1
    path = tmp_path / "sources.csv"
    path.write_text(CSV, encoding="utf-8")
    out = io.StringIO()
    call_command("import_registry", "social_sources", str(path), stdout=out)
    assert "created 2" in out.getvalue()
    vk = Source.objects.get(name="Подслушано Северодольск")
    assert vk.territory == scene["terr"] and vk.organization == scene["org"] and vk.token.endswith("9876")
    assert Source.objects.get(name="Чат").base_url == "https://proxy.example/tg/"
    # Russian headers are read too; the same file again changes nothing; a blank token keeps the old one.
    russian = "Сеть,Название,Вид,Цель,Токен\nvk,Подслушано Северодольск,wall,-555,\n"
    again = registry_import(kind="social_sources", data=russian.encode(), filename="s.csv")
    assert again.ok and again.unchanged == 1
    assert Source.objects.get(name="Подслушано Северодольск").token.endswith("9876")
    broken = registry_import(kind="social_sources", data=(
        "network,name,kind,target,token,territory\nmastodon,X,wall,1,t,\nvk,Y,chat,1,t,Нигдеево\n"
        "ok,Z,wall,1,плохой,\n").encode(), filename="b.csv")
    assert not broken.ok and Source.objects.count() == 3
    messages = " ".join(e.message for e in broken.errors)
    assert "Сеть — одно из значений" in messages and "Нет территории «Нигдеево»" in messages
    exported = call_command_output("export_registry", "social_sources")
    assert "secret-token" not in exported


def call_command_output(*args):
    out = io.StringIO()
    try:
        call_command(*args, "--format", "csv", stdout=out)
    except (CommandError, TypeError):
        return ""
    return out.getvalue()


def test_a_failing_source_is_counted_and_its_token_never_logged(scene, caplog):
    Source.objects.filter(pk=scene["source"].pk).update(api_base=f"http://127.0.0.1:9/{VK_TOKEN}/")
    with caplog.at_level(logging.WARNING, logger="otklik.social"):
        summary = fetch_all()
    assert summary.errors == 1 and summary.sources == 1
    assert caplog.records and VK_TOKEN not in caplog.text
    assert VK_TOKEN not in Source.objects.get().last_error
    assert VK_TOKEN not in repr(Source.objects.get()) and json.dumps(summary.__dict__)


def test_two_workers_never_fetch_one_source_at_once(scene):
    source = scene["source"]
    assert services.source_claim(source=source)
    assert not services.source_claim(source=source)  # the second worker leaves it
    summary = fetch_all()
    assert summary.sources == 0 and Post.objects.count() == 0
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=11)
    assert services.source_claim(source=source, now=later)  # a dead worker's lease runs out
