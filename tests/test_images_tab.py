"""The Images tab and the one-click fixes, mocked at the
openstack_dashboard.api boundary as Horizon's own tests are."""
from unittest import mock

from django.test.utils import override_settings
from django.urls import reverse
from glanceclient import exc as glance_exc

from openstack_dashboard import api
from openstack_dashboard.test import helpers as test

from consistency_dashboard.api import images as image_calls
from tests import fixtures

INDEX_URL = reverse("horizon:project:consistency:index")
IMAGES_TAB = INDEX_URL + "?tab=consistency__images"


def fix_url(fix):
    return reverse("horizon:project:consistency:fix", args=(fix,))


def deny_image_changes(actions, request, target=None):
    return not any(tuple(rule) == ("image", "modify_image")
                   for rule in actions)


class ImagesTabTests(test.TestCase):

    def _list(self, images, more=False, prev=False):
        self.mock_image_list_detailed.return_value = (images, more, prev)

    def _rows(self, response):
        table = response.context["tab_group"].get_tab("images")._tables[
            "images"]
        return {row.name: row for row in table.data}

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_rows_show_raw_values_parsed_values_and_posture(self):
        images = fixtures.story_images()
        by_name = {i.name: i for i in images}
        self._list(images)
        self.mock_server_list.return_value = ([
            fixtures.make_server("vm1", by_name["neither"].id),
            fixtures.make_server("vm2", by_name["neither"].id),
            fixtures.make_server("vm3", by_name["agent-only"].id),
            fixtures.make_server("volume-backed", None),
        ], False)

        res = self.client.get(IMAGES_TAB)

        self.assertTemplateUsed(res, "consistency_dashboard/project/index.html")
        rows = self._rows(res)
        self.assertEqual(len(images), len(rows))
        self.assertEqual("crash-consistent only", rows["neither"].posture.label)
        self.assertEqual(2, rows["neither"].instance_count)
        self.assertEqual(1, rows["agent-only"].instance_count)
        self.assertEqual(0, rows["agent-and-quiesce"].instance_count)
        self.assertFalse(rows["agent-and-quiesce"].needs_attention)
        self.assertEqual("snapshot refused unless the agent channel exists",
                         rows["quiesce-without-agent"].posture.label)
        content = res.content.decode()
        # Raw spelling beside what Nova reads when they differ.
        self.assertIn('<code class="consistency-raw">True</code> &rarr; true',
                      content)
        self.assertIn('<code class="consistency-raw">enabled</code>', content)
        self.assertIn("unparseable: false", content)
        self.assertIn("no effect in Nova", content)
        # One short line per row says what differs; the sentences why are
        # on the detail page (ImageDetailTests), once above the table here.
        self.assertIn('<div class="consistency-headline">no guest agent '
                      'property</div>', content)
        self.assertIn('<div class="consistency-headline">quiesce not '
                      'required</div>', content)
        self.assertEqual(1, content.count("Nova never reports"))
        self.assertNotIn("like pulling the power plug", content)
        self.assertIn(reverse("horizon:project:consistency:image_detail",
                              args=(by_name["neither"].id,)), content)
        # Exactly one image list and one server list, whatever the rows.
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), marker=None, paginate=True,
            filters={"visibility": "all"}, sort_dir="asc", sort_key="name",
            reversed_order=False)
        self.mock_server_list.assert_called_once_with(test.IsHttpRequest())

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_posture_honours_the_storage_setting(self):
        images = fixtures.story_images()
        self._list(images)
        self.mock_server_list.return_value = ([], False)
        with override_settings(CONSISTENCY_DASHBOARD_STORAGE="rbd"):
            res = self.client.get(IMAGES_TAB)
        row = self._rows(res)["agent-and-quiesce"]
        self.assertEqual("crash-consistent only", row.posture.label)
        self.assertContains(res, "Ceph RBD: never frozen")
        with override_settings(CONSISTENCY_DASHBOARD_STORAGE="file"):
            res = self.client.get(IMAGES_TAB)
        self.assertEqual("filesystem-consistent if the agent answers",
                         self._rows(res)["agent-and-quiesce"].posture.label)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_api_calls_do_not_grow_with_rows(self):
        for count in (1, 40):
            self.mock_image_list_detailed.reset_mock()
            self.mock_server_list.reset_mock()
            images = [fixtures.make_image("img-%03d" % i) for i in range(count)]
            self._list(images)
            self.mock_server_list.return_value = (
                [fixtures.make_server("vm%d" % i, images[i].id)
                 for i in range(count)], False)
            res = self.client.get(IMAGES_TAB)
            self.assertEqual(count, len(self._rows(res)))
            self.assertEqual(1, self.mock_image_list_detailed.call_count)
            self.assertEqual(1, self.mock_server_list.call_count)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_pagination_links_and_marker(self):
        images = [fixtures.make_image("img-%d" % i) for i in range(3)]
        self._list(images, more=True, prev=True)
        self.mock_server_list.return_value = ([], False)

        res = self.client.get(IMAGES_TAB + "&images_marker=" + images[0].id)

        content = res.content.decode()
        self.assertIn("images_marker=%s" % images[-1].id, content)
        self.assertIn("images_prev_marker=%s" % images[0].id, content)
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), marker=images[0].id, paginate=True,
            filters={"visibility": "all"}, sort_dir="asc", sort_key="name",
            reversed_order=False)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_previous_page_reverses_order(self):
        images = [fixtures.make_image("img-%d" % i) for i in range(2)]
        self._list(images, more=True)
        self.mock_server_list.return_value = ([], False)
        self.client.get(IMAGES_TAB + "&images_prev_marker=" + images[0].id)
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), marker=images[0].id, paginate=True,
            filters={"visibility": "all"}, sort_dir="asc", sort_key="name",
            reversed_order=True)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_attention_filter_keeps_only_images_that_need_it(self):
        self._list(fixtures.story_images())
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(IMAGES_TAB + "&attention=1")
        names = set(self._rows(res))
        self.assertNotIn("agent-and-quiesce", names)
        self.assertEqual({"agent-only", "neither", "quiesce-without-agent",
                          "dead-fsfreeze", "unparseable-agent",
                          "someone-elses"}, names)
        self.assertContains(res, "Show all images")

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_fix_actions_offered_only_where_they_apply_and_are_allowed(self):
        images = fixtures.story_images()
        by_name = {i.name: i for i in images}
        self._list(images)
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(IMAGES_TAB)
        content = res.content.decode()

        def offered(fix, name):
            return ("%s?image_id=%s" % (fix_url(fix), by_name[name].id)
                    in content)

        self.assertTrue(offered("make_consistent", "neither"))
        self.assertTrue(offered("enable_agent", "neither"))
        # Requiring quiesce without the agent would make snapshots fail.
        self.assertFalse(offered("require_quiesce", "neither"))
        self.assertTrue(offered("require_quiesce", "agent-only"))
        self.assertTrue(offered("enable_agent", "quiesce-without-agent"))
        self.assertTrue(offered("remove_dead_fsfreeze", "dead-fsfreeze"))
        self.assertFalse(offered("make_consistent", "agent-and-quiesce"))
        # Not the owner: nothing offered, the reason shown instead.
        for fix in ("make_consistent", "enable_agent"):
            self.assertFalse(offered(fix, "someone-elses"))
        self.assertContains(res, "Owned by another project (public image)")

    @override_settings(POLICY_CHECK_FUNCTION=deny_image_changes)
    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_policy_forbids_changes(self):
        images = fixtures.story_images()
        self._list(images)
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(IMAGES_TAB)
        self.assertNotContains(res, fix_url("make_consistent") + "?image_id=")
        self.assertContains(res, "policy image:modify_image")

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_glance_down_page_still_renders_with_a_message(self):
        self.mock_image_list_detailed.side_effect = \
            glance_exc.CommunicationError("connection refused")
        res = self.client.get(IMAGES_TAB)
        self.assertEqual(200, res.status_code)
        self.assertEqual({}, self._rows(res))
        self.assertMessageCount(res, error=1)
        self.mock_server_list.assert_not_called()

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_nova_down_shows_images_without_counts(self):
        images = fixtures.story_images()
        self._list(images)
        self.mock_server_list.side_effect = self.exceptions.nova
        res = self.client.get(IMAGES_TAB)
        rows = self._rows(res)
        self.assertEqual(len(images), len(rows))
        self.assertEqual("?", rows["neither"].instance_count)
        self.assertMessageCount(res, error=1)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_html_in_names_and_values_is_shown_as_text(self):
        evil = "<img src=x onerror=alert(1)>"
        self._list([fixtures.make_image(evil, hw_qemu_guest_agent=evil,
                                        hw_require_fsfreeze="<b>x</b>")])
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(IMAGES_TAB)
        content = res.content.decode()
        self.assertNotIn(evil, content)
        self.assertNotIn("<b>x</b>", content)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", content)
        self.assertIn("&lt;b&gt;x&lt;/b&gt;", content)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_bulk_fixes_toolbar_and_menu(self):
        self._list(fixtures.story_images())
        self.mock_server_list.return_value = ([], False)
        content = self.client.get(IMAGES_TAB).content.decode()
        toolbar, menu = content.split('class="table_actions_menu"', 1)
        self.assertIn('id="images__action_bulk_make_consistent"', toolbar)
        for fix in ("enable_agent", "require_quiesce",
                    "remove_dead_fsfreeze"):
            self.assertNotIn("images__action_bulk_%s" % fix, toolbar)
            self.assertIn('id="images__action_bulk_%s"' % fix, menu)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_bulk_action_goes_to_confirmation_with_selection(self):
        images = fixtures.story_images()
        self._list(images)
        self.mock_server_list.return_value = ([], False)
        res = self.client.post(IMAGES_TAB, {
            "action": "images__bulk_make_consistent",
            "object_ids": [images[1].id, images[2].id]})
        self.assertRedirectsNoFollow(
            res, "%s?image_id=%s&image_id=%s" % (
                fix_url("make_consistent"), images[1].id, images[2].id))


def detail_url(image_id):
    return reverse("horizon:project:consistency:image_detail",
                   args=(image_id,))


class ImageDetailTests(test.TestCase):
    """Everything a row sums up, on one page per image, in two calls."""

    def _get(self, image, servers=()):
        self.mock_image_get.return_value = image
        self.mock_server_list.return_value = (list(servers), False)
        res = self.client.get(detail_url(image.id))
        self.mock_image_get.assert_called_once_with(test.IsHttpRequest(),
                                                    image.id)
        self.mock_server_list.assert_called_once_with(test.IsHttpRequest())
        return res

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_full_explanation_every_reason_and_the_dead_property(self):
        image = fixtures.make_image("neither", hw_require_fsfreeze="yes")
        res = self._get(image, [fixtures.make_server("a", image.id),
                                fixtures.make_server("b", "other")])
        self.assertTemplateUsed(res, "horizon/common/_detail.html")
        self.assertContains(res, "crash-consistent only")
        self.assertContains(res, "like pulling the power plug")
        self.assertContains(res, "Snapshots of running instances are "
                                 "crash-consistent only.")
        self.assertContains(res, "nothing in Nova, Glance or Horizon reads it")
        self.assertContains(res, "no effect in Nova")
        # Instances of the project booted from it, from the one list.
        self.assertContains(res, ">1</a>")
        # The fixes, with what each would do here.
        self.assertContains(res, "Sets hw_qemu_guest_agent=yes and "
                                 "os_require_quiesce=yes.")
        self.assertContains(res, "Requiring quiesce without the guest agent "
                                 "would make live snapshots fail")
        self.assertContains(res, "%s?image_id=%s" % (
            fix_url("make_consistent"), image.id))
        self.assertContains(res, "keep the properties they were booted with")

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_agent_without_quiesce_reasons(self):
        res = self._get(fixtures.make_image("agent-only",
                                            hw_qemu_guest_agent="True"))
        self.assertContains(res, "filesystem-consistent if the agent answers")
        self.assertContains(res, "Nova never reports whether the freeze "
                                 "happened")
        self.assertContains(res, "snapshots skip the freeze silently")
        self.assertContains(res, '<code class="consistency-raw">True</code> '
                                 '&rarr; true')

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_prediction_per_storage_path(self):
        image = fixtures.make_image("agent-and-quiesce",
                                    hw_qemu_guest_agent="yes",
                                    os_require_quiesce="yes")
        with override_settings(CONSISTENCY_DASHBOARD_STORAGE="rbd"):
            res = self._get(image)
        content = res.content.decode()
        self.assertIn("Volume-backed instances booted from this image still "
                      "freeze", content)
        self.assertIn("never freezes the guest", content)
        self.assertIn("Nova suspends the guest for the copy", content)
        paths = content.split('consistency-storage-paths', 1)[1]
        self.assertIn("filesystem-consistent if the agent answers", paths)
        self.assertEqual(2, paths.split("</table>")[0].count(
            "crash-consistent only"))

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_not_owner_sees_why_and_no_fix_link(self):
        image = fixtures.make_image("foreign", owner="other",
                                    visibility="public")
        res = self._get(image)
        self.assertContains(res, "Owned by another project (public image)")
        self.assertNotContains(res, "?image_id=%s" % image.id)

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_missing_image_redirects_with_a_sentence(self):
        self.mock_image_get.side_effect = glance_exc.HTTPNotFound("gone")
        res = self.client.get(detail_url("0000-gone"))
        self.assertRedirectsNoFollow(res, IMAGES_TAB)
        self.assertMessageCount(error=1)
        msgs = [str(m) for m in res.wsgi_request._messages]
        self.assertIn("Unable to show this image: it does not exist or this "
                      "project may not see it.", msgs[0])
        self.assertNotIn("gone", msgs[0])
        self.mock_server_list.assert_not_called()

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_nova_down_shows_the_image_without_a_count(self):
        image = fixtures.make_image("neither")
        self.mock_image_get.return_value = image
        self.mock_server_list.side_effect = self.exceptions.nova
        res = self.client.get(detail_url(image.id))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, ">?</a>")
        self.assertContains(res, "crash-consistent only")


    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",)})
    def test_kernel_image_says_why(self):
        res = self._get(fixtures.make_image("vmlinuz", disk_format="aki",
                                            container_format="aki"))
        self.assertContains(res, "A kernel (aki) or ramdisk (ari) image")
        self.assertContains(res, "not booted from")
        self.assertNotContains(res, "?image_id=")


class AdminImageDetailTests(test.BaseAdminViewTests):
    """An administrator's token reads any image: the project's detail page
    shows only what a member of the project can use."""

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",),
                        image_calls: ("member_status",)})
    def test_another_projects_private_image_is_not_shown(self):
        image = fixtures.make_image("theirs-private", owner="other-project")
        self.mock_image_get.return_value = image
        res = self.client.get(detail_url(image.id))
        self.assertRedirectsNoFollow(res, IMAGES_TAB)
        self.assertMessageCount(error=1)
        self.assertEqual(["Unable to show this image: it does not exist or "
                          "this project may not see it."],
                         [str(m) for m in res.wsgi_request._messages])
        self.mock_server_list.assert_not_called()
        self.mock_member_status.assert_not_called()

    @test.create_mocks({api.glance: ("image_get",),
                        api.nova: ("server_list",),
                        image_calls: ("member_status",)})
    def test_image_shared_with_the_project_is_shown_read_only(self):
        image = fixtures.make_image("shared-with-us", owner="other-project",
                                    visibility="shared")
        self.mock_image_get.return_value = image
        self.mock_server_list.return_value = ([], False)
        self.mock_member_status.return_value = "accepted"
        res = self.client.get(detail_url(image.id))
        self.assertEqual(200, res.status_code)
        self.assertContains(res, "Owned by another project (shared image)")
        self.assertNotContains(res, "?image_id=")
        self.mock_member_status.assert_called_once_with(
            test.IsHttpRequest(), image.id, fixtures.PROJECT_ID)
        self.mock_server_list.assert_called_once_with(test.IsHttpRequest())


class ApplyFixTests(test.TestCase):

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_confirmation_names_instances_and_boot_time_warning(self):
        neither = fixtures.make_image("neither")
        agent_only = fixtures.make_image("agent-only",
                                         hw_qemu_guest_agent="yes")
        self.mock_image_list_detailed.return_value = (
            [neither, agent_only], False, False)
        self.mock_server_list.return_value = ([
            fixtures.make_server("a", neither.id),
            fixtures.make_server("b", neither.id),
            fixtures.make_server("c", agent_only.id)], False)

        res = self.client.get("%s?image_id=%s&image_id=%s" % (
            fix_url("make_consistent"), neither.id, agent_only.id))

        self.assertTemplateUsed(res, "consistency_dashboard/project/fix.html")
        self.assertContains(res, "keep the properties they were booted with")
        self.assertContains(res, "These 2 instances keep their boot-time "
                                 "properties")
        self.assertContains(res, "This instance keeps its boot-time "
                                 "properties")
        self.assertContains(res, "hw_qemu_guest_agent=yes, "
                                 "os_require_quiesce=yes")
        self.mock_image_list_detailed.assert_called_once_with(
            test.IsHttpRequest(), filters={
                "id": "in:%s,%s" % (neither.id, agent_only.id),
                "visibility": "all"})
        self.mock_server_list.assert_called_once_with(test.IsHttpRequest())

    @test.create_mocks({api.glance: ("image_list_detailed",
                                     "image_update_properties"),
                        api.nova: ("server_list",)})
    def test_apply_reports_exactly_what_changed_and_why_not(self):
        ok = fixtures.make_image("ok-image")
        already = fixtures.make_image("already", hw_qemu_guest_agent="yes",
                                      os_require_quiesce="yes")
        forbidden = fixtures.make_image("forbidden")
        protected = fixtures.make_image("protected")
        down = fixtures.make_image("glance-down")
        foreign = fixtures.make_image("foreign", owner="other",
                                      visibility="public")
        gone_id = "0000-gone"
        self.mock_image_list_detailed.return_value = (
            [ok, already, forbidden, protected, down, foreign], False, False)
        self.mock_server_list.return_value = ([], False)

        def update(request, image_id, remove_props=None, **kwargs):
            if image_id == forbidden.id:
                raise glance_exc.HTTPForbidden("forbidden")
            if image_id == protected.id:
                raise glance_exc.HTTPConflict("Image is protected")
            if image_id == down.id:
                raise glance_exc.CommunicationError("refused")
            return None
        self.mock_image_update_properties.side_effect = update

        ids = [ok.id, already.id, forbidden.id, protected.id, down.id,
               foreign.id, gone_id]
        res = self.client.post(fix_url("make_consistent"), {
            "fix": "make_consistent", "image_ids": ",".join(ids)})

        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, IMAGES_TAB)
        # Only images that need it and may be changed are written.
        self.assertEqual(
            [mock.call(test.IsHttpRequest(), i, None,
                       hw_qemu_guest_agent="yes", os_require_quiesce="yes")
             for i in (ok.id, forbidden.id, protected.id, down.id)],
            self.mock_image_update_properties.call_args_list)
        msgs = [str(m) for m in res.wsgi_request._messages]
        changed = [m for m in msgs if m.startswith("Changed")]
        unchanged = [m for m in msgs if m.startswith("Not changed")]
        failed = [m for m in msgs if m.startswith("Failed")]
        self.assertEqual(1, len(changed))
        self.assertIn("Changed 1 image(s): ok-image (set "
                      "hw_qemu_guest_agent=yes, os_require_quiesce=yes)",
                      changed[0])
        self.assertIn("already (Already set: nothing to change.)",
                      unchanged[0])
        self.assertIn("foreign (Owned by another project", unchanged[0])
        self.assertIn("0000-gone (not found", unchanged[0])
        self.assertIn("forbidden (not allowed (403)", failed[0])
        self.assertIn("protected (refused (409)", failed[0])
        # Glance went away during its update: perhaps changed, not failed.
        unconfirmed = [m for m in msgs if m.startswith("Not confirmed")]
        self.assertIn("glance-down (Glance could not be reached",
                      unconfirmed[0])

    @test.create_mocks({api.glance: ("image_list_detailed",
                                     "image_update_properties"),
                        api.nova: ("server_list",)})
    def test_remove_dead_property(self):
        dead = fixtures.make_image("dead", hw_qemu_guest_agent="yes",
                                   hw_require_fsfreeze="true")
        self.mock_image_list_detailed.return_value = ([dead], False, False)
        self.mock_server_list.return_value = ([], False)
        res = self.client.post(fix_url("remove_dead_fsfreeze"), {
            "fix": "remove_dead_fsfreeze", "image_ids": dead.id})
        self.assertNoFormErrors(res)
        self.mock_image_update_properties.assert_called_once_with(
            test.IsHttpRequest(), dead.id, ["hw_require_fsfreeze"])

    @test.create_mocks({api.glance: ("image_list_detailed",
                                     "image_update_properties"),
                        api.nova: ("server_list",)})
    def test_glance_down_before_apply_changes_nothing(self):
        self.mock_image_list_detailed.side_effect = \
            glance_exc.CommunicationError("refused")
        res = self.client.post(fix_url("enable_agent"), {
            "fix": "enable_agent", "image_ids": "a,b"})
        self.assertRedirectsNoFollow(res, IMAGES_TAB)
        self.mock_image_update_properties.assert_not_called()
        msgs = [str(m) for m in res.wsgi_request._messages]
        self.assertTrue(any("nothing was changed" in m for m in msgs), msgs)

    def test_unknown_fix_is_refused(self):
        res = self.client.get(fix_url("hw_require_fsfreeze"))
        self.assertEqual(404, res.status_code)


class ImageWordsTests(test.TestCase):

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_confirmation_says_will_remove_not_will_set_remove(self):
        dead = fixtures.make_image("dead", hw_qemu_guest_agent="yes",
                                   os_require_quiesce="yes",
                                   hw_require_fsfreeze="true")
        self.mock_image_list_detailed.return_value = ([dead], False, False)
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(fix_url("remove_dead_fsfreeze") +
                              "?image_id=" + dead.id)
        self.assertContains(res, "will remove: hw_require_fsfreeze")
        self.assertNotContains(res, "will set: remove")

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_kernel_and_ramdisk_images_are_not_offered_fixes(self):
        kernel = fixtures.make_image("vmlinuz", disk_format="aki",
                                     container_format="aki")
        ramdisk = fixtures.make_image("initrd", disk_format="ari",
                                      container_format="ari")
        machine = fixtures.make_image("machine")
        self.mock_image_list_detailed.return_value = (
            [kernel, ramdisk, machine], False, False)
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(IMAGES_TAB)
        rows = {r.name: r for r in res.context["tab_group"].get_tab(
            "images")._tables["images"].data}
        for name in ("vmlinuz", "initrd"):
            self.assertFalse(rows[name].needs_attention)
            self.assertFalse(rows[name].can_modify)
        self.assertTrue(rows["machine"].needs_attention)
        content = res.content.decode()
        for image in (kernel, ramdisk):
            self.assertNotIn("image_id=%s" % image.id, content)
        self.assertIn("image_id=%s" % machine.id, content)
        # The row says it in a few words; the sentence is on the detail
        # page (ImageDetailTests.test_kernel_image_says_why).
        self.assertContains(res, "not booted from", count=2)
        self.assertContains(res, "kernel or ramdisk image", count=2)
        res = self.client.get(IMAGES_TAB + "&attention=1")
        self.assertEqual(["machine"], [r.name for r in res.context[
            "tab_group"].get_tab("images")._tables["images"].data])


class ImageLinkTests(test.TestCase):
    """The boot image link in an Instances row opens that image."""

    def test_instances_row_links_to_its_own_image(self):
        import types
        from consistency_dashboard.dashboards.project.consistency.instances\
            import tables as instance_tables
        image = fixtures.make_image("debian-12")
        row = types.SimpleNamespace(volume_backed=False, image=image,
                                    image_id=image.id,
                                    image_name="debian-12")
        html = str(instance_tables.boot_source_cell(row))
        self.assertIn("tab=consistency__images&amp;image_id=%s" % image.id,
                      html)

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",)})
    def test_images_tab_with_image_id_lists_that_image(self):
        image = fixtures.make_image("debian-12")
        self.mock_image_list_detailed.return_value = ([image], False, False)
        self.mock_server_list.return_value = ([], False)
        res = self.client.get(IMAGES_TAB + "&image_id=" + image.id)
        rows = res.context["tab_group"].get_tab("images")._tables[
            "images"].data
        self.assertEqual([image.id], [r.id for r in rows])
        filters = self.mock_image_list_detailed.call_args[1]["filters"]
        self.assertEqual("in:" + image.id, filters["id"])
        self.assertContains(res, "Showing only the image the instance")


class AdminInProjectPanelTests(test.BaseAdminViewTests):
    """An administrator in the Project panel sees what a member of the
    current project can use, and may fix only the project's own images."""

    def _images(self):
        return {
            "own": fixtures.make_image("own"),
            "theirs-private": fixtures.make_image(
                "theirs-private", owner="other-project"),
            "theirs-public": fixtures.make_image(
                "theirs-public", owner="other-project", visibility="public"),
            "theirs-community": fixtures.make_image(
                "theirs-community", owner="other-project",
                visibility="community"),
            "shared-with-us": fixtures.make_image(
                "shared-with-us", owner="other-project",
                visibility="shared"),
            "shared-elsewhere": fixtures.make_image(
                "shared-elsewhere", owner="other-project",
                visibility="shared"),
        }

    def _members(self, images):
        def status(request, image_id, member_id):
            self.assertEqual(fixtures.PROJECT_ID, member_id)
            return ("accepted" if image_id == images["shared-with-us"].id
                    else None)
        return status

    @test.create_mocks({api.glance: ("image_list_detailed",),
                        api.nova: ("server_list",),
                        image_calls: ("member_status",)})
    def test_other_projects_private_images_are_not_listed(self):
        images = self._images()
        self.mock_image_list_detailed.return_value = (
            list(images.values()), False, False)
        self.mock_server_list.return_value = ([], False)
        self.mock_member_status.side_effect = self._members(images)
        res = self.client.get(IMAGES_TAB)
        rows = {r.name: r for r in res.context["tab_group"].get_tab(
            "images")._tables["images"].data}
        self.assertEqual({"own", "theirs-public", "theirs-community",
                          "shared-with-us"}, set(rows))
        self.assertTrue(rows["own"].can_modify)
        for name in ("theirs-public", "theirs-community", "shared-with-us"):
            self.assertFalse(rows[name].can_modify)
            self.assertNotContains(res, "image_id=%s" % images[name].id)
        self.assertNotContains(res, "Yes (admin)")
        # One member list per shared image of another project, no more.
        self.assertEqual(2, self.mock_member_status.call_count)

    @test.create_mocks({api.glance: ("image_list_detailed",
                                     "image_update_properties"),
                        api.nova: ("server_list",),
                        image_calls: ("member_status",)})
    def test_fix_post_rechecks_ownership_for_an_admin(self):
        images = self._images()
        self.mock_image_list_detailed.return_value = (
            list(images.values()), False, False)
        self.mock_server_list.return_value = ([], False)
        self.mock_member_status.side_effect = self._members(images)
        ids = ",".join(i.id for i in images.values())
        res = self.client.post(fix_url("make_consistent"), {
            "fix": "make_consistent", "image_ids": ids})
        self.assertNoFormErrors(res)
        self.mock_image_update_properties.assert_called_once_with(
            test.IsHttpRequest(), images["own"].id, None,
            hw_qemu_guest_agent="yes", os_require_quiesce="yes")
        msgs = " ".join(str(m) for m in res.wsgi_request._messages)
        self.assertIn("theirs-public (Owned by another project", msgs)
        # Not visible to the project: not even named.
        self.assertNotIn("theirs-private (", msgs)
        self.assertIn("%s (not found" % images["theirs-private"].id, msgs)


def test_templates_and_static_come_from_where_the_plugin_is_installed():
    """From a wheel (the wheel test sets CONSISTENCY_EXPECT_INSTALLED_IN) the
    panel's templates and static files come from inside the installed
    package; from a source checkout, from the top-level folders."""
    import os

    from django.contrib.staticfiles import finders
    from django.template import loader

    import consistency_dashboard

    installed_in = os.environ.get("CONSISTENCY_EXPECT_INSTALLED_IN")
    if installed_in:
        expected = os.path.join(installed_in, "consistency_dashboard")
    else:
        expected = os.path.dirname(os.path.dirname(
            os.path.abspath(consistency_dashboard.__file__)))
    assert os.path.abspath(consistency_dashboard.__file__).startswith(
        expected if installed_in else expected)
    template = loader.get_template("consistency_dashboard/project/_fix.html")
    assert os.path.abspath(template.origin.name).startswith(expected), \
        template.origin.name
    static = finders.find("consistency_dashboard/css/consistency.scss")
    assert static and os.path.abspath(static).startswith(expected), static
