"""Official accounts: their newest post is read from the network; pages silent longer than the region's
period are listed for the regional coordinator."""

from __future__ import annotations

import datetime as dt

import pytest

from otklik.accounts.models import Role
from otklik.intake.social.accounts import check_accounts
from otklik.intake.social.models import OfficialAccount, SocialSettings
from otklik.intake.social.selectors import silent_accounts, silent_count_by_organization
from tests import factories as f
from tests.social.fakes import OK_TOKEN, VK_TOKEN

pytestmark = pytest.mark.django_db


def test_silent_accounts_are_found_from_the_networks_own_dates(region, networks, client):
    now = dt.datetime.now(tz=dt.UTC)
    active, silent = f.organization("Минтранс"), f.organization("Минкульт")
    networks.vk.post(-10, 5, "Сегодня открыли мост", int((now - dt.timedelta(hours=5)).timestamp()))
    pinned = networks.vk.post(-20, 9, "Закреплённая старая запись", int((now - dt.timedelta(days=30)).timestamp()))
    pinned["is_pinned"] = 1
    networks.vk.post(-20, 3, "Последняя запись", int((now - dt.timedelta(days=6)).timestamp()))
    networks.ok.topic("7001", "t1", "Новости", int((now - dt.timedelta(days=1)).timestamp() * 1000))
    base = {"api_base": networks.base + "/vk/method/", "token": VK_TOKEN}
    OfficialAccount.objects.create(organization=active, network="vk", target="-10", **base)
    quiet = OfficialAccount.objects.create(organization=silent, network="vk", target="-20", **base)
    OfficialAccount.objects.create(organization=active, network="ok", target="7001",
                                   api_base=networks.base + "/ok/fb.do", token=OK_TOKEN)
    broken = OfficialAccount.objects.create(organization=silent, network="vk", target="-30",
                                            api_base=networks.base + "/vk/method/", token="wrong-token-123456")
    summary = check_accounts()
    assert (summary.checked, summary.errors) == (3, 1)
    assert VK_TOKEN not in OfficialAccount.objects.get(pk=broken.pk).last_error
    assert [a.pk for a in silent_accounts()] == [broken.pk, quiet.pk]  # never seen; 6 days > 3 days
    assert silent_count_by_organization() == {silent.pk: 2}
    SocialSettings.objects.update_or_create(pk=1, defaults={"silence_days": 7})
    assert [a.pk for a in silent_accounts()] == [broken.pk]

    client.force_login(f.user("regional", (Role.REGIONAL_COORDINATOR, active)))
    page = client.get("/workspace/social/").content.decode()
    assert 'id="silent-accounts"' in page and "Минкульт" in page


def test_the_register_is_imported_as_registry_data(region):
    from otklik.registry.transfer import registry_export, registry_import

    f.organization("Минтранс")
    data = ("organization,network,target,url,token\n"
            "Минтранс,vk,-10,https://vk.com/mintrans,vk1.a.account-token-1234567\n"
            "Минтранс,ok,7001,https://ok.ru/group/7001,\n").encode()
    result = registry_import(kind="official_accounts", data=data, filename="a.csv")
    assert result.ok and result.created == 2, result.errors
    assert OfficialAccount.objects.get(network="vk").token.endswith("4567")
    again = registry_import(kind="official_accounts", data=registry_export(kind="official_accounts", fmt="csv"),
                            filename="a.csv")
    assert again.ok and again.unchanged == 2
    assert OfficialAccount.objects.get(network="vk").token.endswith("4567")  # the export carries no token
    bad = registry_import(kind="official_accounts", data="Организация,Сеть,Страница\nНикто,vk,-1\n".encode(),
                          filename="b.csv")
    assert not bad.ok and "Нет организации «Никто»" in bad.errors[0].message
