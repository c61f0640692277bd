"""Huawei VRP exact rollback through the NAPALM adapter: checkpoint file before the commit, ``rollback
configuration to file``, then proof that the running config equals the checkpoint, in the same session
and from a later one (``govctl net rollback RUN_ID``).

No VRP device exists here. ``VrpDevice`` answers the user-view commands govctl sends with the texts of
Huawei's command reference (``save``, ``rollback configuration``, ``dir``, ``more``) and keeps its
running config and files across sessions; the golden transcripts hold every line sent and received.
What is proven is the sequence and how its answers are read, not VRP itself. The startup configuration
(``save``, ``display saved-configuration``) and the drift crash recovery reads are tested the same way."""
from __future__ import annotations

import re

import pytest
from goldens import check_golden
from net_helpers import GOLDEN, NapalmDouble, vendor_sample

from govctl.network.drivers import napalm_adapter
from govctl.network.platforms.huawei_vrp import config as vrp_config
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.errors import DeviceError
from govctl.network.journal import Journal
from govctl.network.models import DeviceTarget, Status
from govctl.network.push import rollback_run

NODE = "alpha-west-town01-r1"
STAMP = "20261125T180000"
CHECKPOINT = f"govctl-{NODE}-{STAMP}.cfg"


def sample(name: str) -> str:
    return vendor_sample("vrp", name)


BEFORE, AFTER = sample("running/ipv4-only.txt"), sample("running/converged.txt")


class VrpDevice:
    """One VRP V8 router in user view, across sessions: running config, files, startup config."""

    def __init__(self, running: str, files: dict[str, str] | None = None) -> None:
        self.running, self.files, self.startup = running, dict(files or {}), running
        self.rollback_keeps_additions = False  # a release whose rollback only merges the file
        self.knows_rollback = True
        self.v5 = False  # VRP V5's wording of `save` (question and answer)
        self.save_error = ""  # what `save` answers when it cannot write the startup configuration
        self.log: list[str] = []
        self._question: tuple[str, str] | None = None

    @property
    def prompt(self) -> str:
        return f"<{NODE}>"

    def saved_file(self) -> str:
        return "!Last configuration was saved at 2026-11-25 18:00:00+00:00\n" + self.running

    # netmiko's send_command, as napalm-huawei-vrp's ``device`` attribute offers it: the echo of what
    # was sent, the answer, and the prompt (or the question that ends it)
    def send_command(self, text: str, expect_string: str | None = None, **kwargs: object) -> str:
        if self._question is not None:
            kind, arg = self._question
            self._question = None
            body = self._answer(kind, arg) if text.lower() == "y" else "Info: The operation was cancelled."
            self.log[-1] += f"{text}\n{body}"
        else:
            body = self._command(text)
            self.log.append(f"{self.prompt}{text}\n{body}")
        return f"{text}\n{body}" + ("" if self._question else f"\n{self.prompt}")

    def _command(self, cmd: str) -> str:
        words = cmd.split()
        if words[:1] == ["save"] and len(words) == 2:
            self._question = ("save-file", words[1])
            return f"Warning: Are you sure to save the configuration to cfcard:/{words[1]}? [Y/N]:"
        if cmd == "save":
            self._question = ("save-startup", "")
            if self.v5:
                return ("Warning: The current configuration will be written to the device.\n"
                        "Are you sure to continue?[Y/N]")
            return "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
        if words[:3] == ["rollback", "configuration", "to"] and self.knows_rollback:
            self._question = ("rollback", words[-1])
            return (f"Warning: This operation will revert configuration changes to the file {words[-1]}. During the "
                    "rollback configuration process, some configurations involving differences may be temporarily "
                    "invalid. Continue? [Y/N]:")
        if cmd == "dir":
            rows = "\n".join(f"    {i}  -rw-        {len(t):>7,}  Nov 25 2026 18:00:00   {n}"
                             for i, (n, t) in enumerate(sorted(self.files.items())))
            return (f"Directory of cfcard:/\n\n  Idx  Attr     Size(Byte)  Date        Time       FileName\n{rows}\n"
                    "1,927,716 KB total available (1,130,244 KB free)")
        if words[:1] == ["more"] and words[1] in self.files:
            return self.files[words[1]].rstrip("\n")
        if cmd == "display saved-configuration":
            return ("!Last configuration was saved at 2026-11-25 18:00:00+00:00\n" + self.startup).rstrip("\n")
        return "              ^\nError: Unrecognized command found at '^' position."

    def _answer(self, kind: str, arg: str) -> str:
        if kind == "save-file":
            self.files[arg] = self.saved_file()
            return "Now saving the current configuration to the slot 1.\nInfo: Save the configuration successfully."
        if kind == "save-startup":
            if self.save_error:
                return self.save_error
            self.startup = self.running
            if self.v5:
                return (" It will take several minutes to save configuration file, please wait........\n"
                        " Configuration file had been saved successfully\n"
                        " Note: The configuration file will take effect after being activated")
            return "Now saving the current configuration to the slot 1.\nInfo: Save the configuration successfully."
        if arg not in self.files:
            return f"Error: The file {arg} does not exist."
        if not self.rollback_keeps_additions:
            self.running = "\n".join(line for line in self.files[arg].splitlines()
                                     if not line.startswith("!Last")) + "\n"
        return ("Checking changes...\nLoading rollback changes\nCommitting\nCheck rollback result\n"
                "Configuration rollback succeeded.\n"
                "Please use 'display configuration commit changes last 1' to view the changes.")


class NapalmVrp(NapalmDouble):
    """napalm-huawei-vrp as the adapter uses it: running config, merge buffer, commit (which here
    produces the rolled-out config), ``cli()`` and the netmiko session as ``device``."""

    def __init__(self, box: VrpDevice, commit_error: str = "") -> None:
        self.box, self.commit_error, self.device = box, commit_error, box

    def get_config(self, retrieve: str = "all") -> dict:
        self.box.log.append("# napalm-huawei-vrp get_config: display current-configuration")
        return {"running": self.box.running}

    def cli(self, commands: list[str]) -> dict[str, str]:
        out = {}
        for c in commands:
            text = self.box.send_command(c).split("\n", 1)[1].rsplit("\n", 1)[0]  # no echo, no prompt
            if c.startswith("more ") and "Error:" not in text:  # the transcript says what was compared
                self.box.log[-1] = f"{self.box.prompt}{c}\n({len(text.splitlines())} lines: the file's content)"
            out[c] = text
        return out

    def discard_config(self) -> None:
        pass

    def load_merge_candidate(self, config: str) -> None:
        self.buffer = config

    def commit_config(self) -> None:
        n = len([line for line in self.buffer.splitlines() if line.strip()])
        self.box.log.append(f"# napalm-huawei-vrp commit_config: its own backup file, {n} lines merged in "
                            "system view, `save`")
        if self.commit_error:
            self.box.running = self.box.running.replace("#\nreturn", "#\nipv6\n#\nreturn")  # half applied
            raise RuntimeError(self.commit_error)
        self.box.running = self.box.startup = AFTER


def _adapter(monkeypatch: pytest.MonkeyPatch, box: VrpDevice, **kw: str) -> NapalmAdapter:
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    monkeypatch.setattr(napalm_adapter, "_stamp", lambda: STAMP)
    dev = NapalmAdapter(DeviceTarget(node=NODE, platform="huawei_vrp", host="2001:db8:fffd::8",
                                     credentials="env:GOVCTL_T_PW"), driver_class=NapalmVrp(box, **kw))
    dev.open()
    return dev


def _committed(monkeypatch: pytest.MonkeyPatch, box: VrpDevice) -> NapalmAdapter:
    """An adapter on ``box`` after a whole push of the intended config: load, compare, commit."""
    dev = _adapter(monkeypatch, box)
    dev.load_replace_candidate(_intended())
    dev.compare_config()
    dev.commit_config()
    return dev


def _golden(name: str, text: str) -> None:
    path = GOLDEN / "vrp_push" / name
    check_golden(path, text)


def _intended() -> str:
    return (GOLDEN / "huawei_vrp" / f"{NODE}.cfg").read_text()


def test_commit_saves_a_checkpoint_first_and_rollback_restores_it_exactly(monkeypatch):
    box = VrpDevice(BEFORE)
    dev = _committed(monkeypatch, box)
    assert vrp_config.same_config(box.running, AFTER) and CHECKPOINT in box.files
    dev.rollback()
    # The double's running and startup configs after its own `rollback configuration` and `save` would only
    # show how the double is written. What is the driver's: it rolls back to the checkpoint it saved, reads
    # the result back (and fails when it differs: test_a_rollback_that_leaves_the_rollouts_lines_is_a_failure...)
    # and then saves it, so a reboot does not bring the rollout back; the golden transcript has every line.
    sent = [entry.splitlines()[0] for entry in box.log]  # each entry: what was sent, then the answer
    assert sent[-3:] == [f"<{NODE}>rollback configuration to file {CHECKPOINT}",
                         "# napalm-huawei-vrp get_config: display current-configuration", f"<{NODE}>save"]
    _golden(f"{NODE}.rollback.txt", "\n".join(box.log) + "\n")


def test_a_later_session_finds_the_checkpoint_by_content_and_rolls_back(monkeypatch):
    box = VrpDevice(BEFORE)
    first = _adapter(monkeypatch, box)
    first.load_replace_candidate(_intended())
    first.compare_config()
    first.commit_config()
    first.close()
    # a newer checkpoint of the same node holding other content (the rolled-out config), and another
    # node's checkpoint with the right content: only the one whose content is the journal's counts
    box.files[f"govctl-{NODE}-20261125T190000.cfg"] = box.saved_file()
    box.files["govctl-alpha-west-town02-r1-20261125T190000.cfg"] = box.files[CHECKPOINT]
    box.log.clear()
    later = _adapter(monkeypatch, box)
    later.restore(BEFORE)
    assert vrp_config.same_config(box.running, BEFORE)
    _golden(f"{NODE}.restore.txt", "\n".join(box.log) + "\n")


def test_govctl_net_rollback_of_a_run_restores_vrp_from_its_checkpoint(monkeypatch, tmp_path):
    box = VrpDevice(AFTER, files={CHECKPOINT: "!Last configuration was saved at 2026-11-25 18:00:00+00:00\n" + BEFORE})
    journal = Journal("20261125T180000Z-test", root=tmp_path)
    journal.save_before(NODE, BEFORE)
    journal.save_intended(NODE, _intended())
    journal.record(NODE, "committed")
    target = DeviceTarget(node=NODE, platform="huawei_vrp", host="2001:db8:fffd::8", credentials="env:GOVCTL_T_PW")
    _adapter(monkeypatch, box)  # sets the password and the stamp

    results = rollback_run(journal, {NODE: target}, lambda t: NapalmAdapter(t, driver_class=NapalmVrp(box)), 1)
    assert [(r.node, r.status) for r in results] == [(NODE, Status.rolled_back)], results
    assert vrp_config.same_config(box.running, BEFORE)
    assert journal.committed_not_undone() == []


def test_no_checkpoint_with_the_config_sends_the_exact_remediation_and_checks_the_result(monkeypatch):
    """No checkpoint holds the target (a scoped rollback after lines outside govctl's scope changed): the
    exact remediation goes as a merge, undoing what the rollout added (views too), no `rollback
    configuration`; a device that does not end on the target (this double's commit ignores the buffer)
    is a failure."""
    box = VrpDevice(AFTER, files={f"govctl-{NODE}-20261124T090000.cfg": "#\nsysname other\n#\nreturn\n"})
    dev = _adapter(monkeypatch, box)
    with pytest.raises(DeviceError, match=rf"{NODE}: rollback: after the remediation the running config still differs"):
        dev.restore(BEFORE)
    sent = dev._dev.buffer.splitlines()
    assert "undo ospfv3 1" in sent and all(line.startswith(("undo ", "interface ", "bgp ", "quit")) for line in sent)
    assert not any(line.startswith(f"<{NODE}>rollback") for line in box.log)


def test_a_rollback_that_leaves_the_rollouts_lines_is_a_failure_not_a_success(monkeypatch):
    box = VrpDevice(BEFORE)
    dev = _committed(monkeypatch, box)
    box.rollback_keeps_additions = True
    with pytest.raises(DeviceError, match="rollback: after `rollback configuration to file "
                                          f"{CHECKPOINT}` the running config still differs from the checkpoint"):
        dev.rollback()
    assert box.startup == AFTER  # not saved over: the startup config is only written once proven


def test_a_release_without_configuration_rollback_refuses_and_the_rollback_fails(monkeypatch):
    box = VrpDevice(BEFORE)
    dev = _committed(monkeypatch, box)
    box.knows_rollback = False
    with pytest.raises(DeviceError, match="did not succeed: Error: Unrecognized command"):
        dev.rollback()


def test_a_commit_napalm_cannot_finish_is_undone_from_the_checkpoint(monkeypatch):
    box = VrpDevice(BEFORE)
    dev = _adapter(monkeypatch, box, commit_error="Error while applying config!")
    dev.load_replace_candidate(_intended())
    dev.compare_config()
    with pytest.raises(DeviceError, match=f"commit: RuntimeError: Error while applying config!; restored {CHECKPOINT}"):
        dev.commit_config()
    assert vrp_config.same_config(box.running, BEFORE)


def test_a_checkpoint_that_cannot_be_saved_stops_the_commit_before_any_change(monkeypatch):
    box = VrpDevice(BEFORE)
    box._command = lambda cmd: "Error: The storage space is insufficient."  # type: ignore[method-assign]
    dev = _adapter(monkeypatch, box)
    dev.load_replace_candidate(_intended())
    dev.compare_config()
    with pytest.raises(DeviceError, match=f"commit: could not save the checkpoint {CHECKPOINT}: Error: The storage "
                                          "space is insufficient.; nothing was changed"):
        dev.commit_config()
    assert box.running == BEFORE


@pytest.mark.parametrize("tail,answer", [
    ("Warning: Are you sure to save the configuration to cfcard:/x.cfg? [Y/N]:", "y"),
    ("Are you sure to save the configuration to x.cfg? (y/n)[n]:", "y"),  # VRP V5
    ("Warning: The file x.cfg exists. Overwrite it? [Y/N]:", "n"),
    ("Info: Save the configuration successfully.\n<r1>", None)])
def test_prompt_answers(tail, answer):
    assert vrp_config.prompt_answer(tail) == answer


def test_checkpoint_names_fit_vrps_64_characters_and_stay_distinct():
    assert vrp_config.checkpoint_name(NODE, STAMP) == CHECKPOINT
    long_a = vrp_config.checkpoint_name("guangdong-shenzhen-longgang-district-town-office-r1", STAMP)
    long_b = vrp_config.checkpoint_name("guangdong-shenzhen-longgang-district-town-office-r2", STAMP)
    assert len(long_a) <= 64 and len(long_b) <= 64 and long_a != long_b
    listing = f"0 -rw- 1 Nov 25 2026 18:00:00   {long_a}\n1 -rw- 1 Nov 25 2026 18:00:00   {long_b}\n"
    assert vrp_config.checkpoint_files(listing, "guangdong-shenzhen-longgang-district-town-office-r1") == [long_a]


def test_a_push_whose_verification_fails_leaves_the_vrp_device_exactly_as_before(monkeypatch, tmp_path):
    """The push engine on one VRP node: commit, verification cannot read the OSPFv3 table, rollback
    from the checkpoint; the journal tells it and nothing of the rollout stays."""
    from net_helpers import fixture

    from govctl.network.intent import build
    from govctl.network.models import PushPolicy
    from govctl.network.push import Rollout

    box = VrpDevice(BEFORE)
    napalm = NapalmVrp(box)
    napalm.get_interfaces_ip = lambda: {}  # type: ignore[attr-defined]
    _adapter(monkeypatch, box)  # sets the password and the stamp
    inv, plan = fixture()
    intents = build(inv, plan)
    target = DeviceTarget(node=NODE, platform="huawei_vrp", host="2001:db8:fffd::8", credentials="env:GOVCTL_T_PW")
    journal = Journal("run-vrp", root=tmp_path)
    rollout = Rollout({NODE: intents[NODE]}, {NODE: _intended()}, {NODE: target},
                      lambda t: NapalmAdapter(t, driver_class=napalm), journal,
                      PushPolicy(parallel=1, verify_timeout=0.0))
    result = rollout.run([NODE])
    assert [(r.node, r.status) for r in result.results] == [(NODE, Status.rolled_back)], result.results
    assert "cannot parse 'display ospfv3 peer' output" in result.results[0].error
    assert vrp_config.same_config(box.running, BEFORE) and box.startup == box.running
    steps = [s.step for s in journal.steps() if s.node == NODE]
    assert steps[-4:] == ["committed", "verify-error", "rolled-back", "result"]


# ------------------------------------------------------------ startup configuration and drift (crash recovery)


def test_running_drift_is_empty_on_the_same_config_and_names_the_lines_otherwise(monkeypatch):
    box = VrpDevice("!Last configuration was updated at 2026-11-25 18:05:00+00:00\n" + AFTER.replace("#\n", "#\n\n"))
    dev = _adapter(monkeypatch, box)
    assert dev.running_drift(AFTER) == ""  # comments, blank lines and address spelling aside
    box.running = (AFTER.replace(" ospfv3 network-type p2p\n", "")
                   .replace("sysname alpha-west-town01-r1\n",
                            "sysname alpha-west-town01-r1\n#\nntp-service unicast-server 198.51.100.123\n"))
    assert dev.running_drift(AFTER) == ("+ ntp-service unicast-server 198.51.100.123\n"
                                        "  interface GigabitEthernet0/0/1\n"
                                        "-  ospfv3 network-type p2p\n")


def test_startup_drift_reads_the_saved_configuration(monkeypatch):
    box = VrpDevice(BEFORE)
    dev = _adapter(monkeypatch, box)
    assert dev.startup_drift(BEFORE) == ""
    dev.load_replace_candidate(_intended())
    dev.compare_config()
    dev.commit_config()  # napalm-huawei-vrp's commit ends in `save`
    assert dev.startup_drift(AFTER) == ""
    assert dev.startup_drift(BEFORE) == vrp_config.drift(BEFORE, AFTER) != ""
    assert box.log[-1].startswith(f"<{NODE}>display saved-configuration\n!Last configuration was saved at")


@pytest.mark.parametrize("v5", [False, True])
def test_save_config_answers_the_question_and_reads_the_answer(monkeypatch, v5):
    box = VrpDevice(BEFORE)
    box.startup = ""
    box.v5 = v5
    dev = _adapter(monkeypatch, box)
    dev.save_config()
    assert box.startup == BEFORE
    assert box.log[-1].startswith(f"<{NODE}>save\nWarning: The current configuration will be written to the device.")
    assert re.search(r"\[Y/N\]:?y\n", box.log[-1])  # answered yes


def test_save_config_the_device_cannot_carry_out_fails_loudly(monkeypatch):
    box = VrpDevice(AFTER)
    box.startup = BEFORE
    box.save_error = "Error: Failed to save the configuration file."
    dev = _adapter(monkeypatch, box)
    with pytest.raises(DeviceError, match=f"{NODE}: save: `save` did not save the running config as the startup "
                                          "configuration: Error: Failed to save the configuration file."):
        dev.save_config()
    assert box.startup == BEFORE


def test_restore_of_a_device_already_running_the_saved_config_only_saves_it(monkeypatch):
    """A crash between journalling the config and the commit: nothing to roll back, no checkpoint needed."""
    box = VrpDevice(BEFORE)
    box.startup = AFTER
    dev = _adapter(monkeypatch, box)
    dev.restore(BEFORE)
    assert box.running == BEFORE and box.startup == BEFORE
    assert not any(line.startswith((f"<{NODE}>rollback", f"<{NODE}>dir")) for line in box.log)
