"""The image booted with consistency.agent=off: what the demo's "agent
property set but agent stopped in the guest" instance runs. A second boot of
the same image (its own module, so never two VMs at once)."""

import time

import pytest

from tests.qga.agent import AgentTimeout

pytestmark = pytest.mark.qga


def test_agent_off_never_opens_the_channel_and_never_answers(vm_agent_off):
    vm = vm_agent_off
    text = vm.console_text()
    assert 'consistency-init: agent disabled by consistency.agent=off' in text
    assert 'qemu-ga started' not in text
    # The channel exists (the image property would give it) but nobody in
    # the guest opened it: QEMU never reports it open, which is what makes
    # libvirt fail a quiesce at once ("QEMU guest agent is not connected").
    assert vm.qmp.wait_event('VSERPORT_CHANGE', 3, id='channel0',
                             open=True) is None
    start = time.monotonic()
    with pytest.raises(AgentTimeout):
        vm.agent.sync(timeout=5)
    assert time.monotonic() - start < 15
    assert vm.probe_lines() == []
