package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// crier validate recognises a configuration and checks it as one, apart
// from the environment, counting it apart from the runbooks; a directory's
// crier.yaml is checked too.
func TestValidateConfigurations(t *testing.T) {
	const example = "../../examples/crier.yaml is a configuration: valid as written; the values it takes from ALEX_MORGAN_TOKEN, CRIER_CLUSTER_SECRET, " +
		"CRIER_LINK_SECRET, EP_DUTY_OFFICER_TOKEN, GRACE_BENNETT_TOKEN, NOTIFY_API_KEY, SAM_PATEL_TOKEN, SLACK_BOT_TOKEN, " +
		"SLACK_SIGNING_SECRET, SMTP_PASSWORD, SMTP_USERNAME, WEBHOOK_SIGNING_SECRET are checked where crier runs on it\n"
	dir := t.TempDir()
	runbook := readTestdata(t, "minimal.good.yaml")
	bad := writeFile(t, t.TempDir(), "crier.yaml", "version: 1\nserver:\n  listen: nowhere\n  public_url: https://${CRIER_HOST_NOT_SET}/crier\n")
	settings := writeFile(t, dir, "settings.yaml", "version: 1\nnotifiers:\n  log: {}\n")
	misnamed := writeFile(t, t.TempDir(), "crier.yaml", runbook)
	withRunbook := t.TempDir()
	writeFile(t, withRunbook, "crier.yml", "version: 1\ndata_dir: ${CRIER_DATA_DIR}\n")
	writeFile(t, withRunbook, "minimal.yaml", runbook)

	for _, c := range []struct {
		name      string
		args      []string
		code      int
		out, errs string
	}{
		{"the examples", []string{"../../examples"}, exitOK,
			"../../examples/directory.yaml is a directory: valid; 7 organisations, 35 people, 2 rotas, 2 lists of 340 rows\n" + example,
			"6 of 6 runbook files valid; 1 configuration valid; 1 directory valid\n"},
		{"the example configuration alone", []string{"../../examples/crier.yaml"}, exitOK, example, "1 configuration valid\n"},
		{"a configuration beside a runbook", []string{withRunbook}, exitOK,
			filepath.Join(withRunbook, "crier.yml") + " is a configuration: valid as written; the values it takes from CRIER_DATA_DIR are checked where crier runs on it\n",
			"1 of 1 runbook file valid; 1 configuration valid\n"},
		{"a configuration with an error", []string{bad}, exitError,
			bad + " is a configuration: not valid\n" +
				bad + `:3:11: error: server.listen: "nowhere" is not an address; expected host:port, such as 127.0.0.1:8080` + "\n",
			"0 of 1 configuration valid; 1 error\n"},
		{"a configuration by another name", []string{settings}, exitOK, settings + " is a configuration: valid\n", "1 configuration valid\n"},
		{"a configuration by another name among runbooks", []string{dir}, exitOK,
			settings + " is a configuration: valid\n" +
				settings + ":1:1: warning: a configuration among runbooks: crier reads every .yaml and .yml file in a runbook directory as a runbook, " +
				"but crier.yaml; name it crier.yaml or keep it elsewhere\n",
			"1 configuration valid; 1 warning\n"},
		{"a runbook named crier.yaml, given by name", []string{misnamed}, exitOK, "", "1 of 1 runbook file valid\n"},
		{"a runbook named crier.yaml in a directory", []string{filepath.Dir(misnamed)}, exitOK,
			misnamed + ":1:1: warning: a runbook named as the configuration: crier leaves crier.yaml and crier.yml out when it loads " +
				"a runbook directory, so this runbook is never offered; rename it\n",
			"1 of 1 runbook file valid; 1 warning\n"},
	} {
		out, errOut, code := crier(t, append([]string{"validate", "--no-doctrine"}, c.args...)...)
		if code != c.code || out != c.out || errOut != c.errs {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", c.name, code, c.code, out, c.out, errOut, c.errs)
		}
	}

	out, _, code := crier(t, "validate", "--json", bad)
	var diags []struct{ File, Severity, Message string }
	if err := json.Unmarshal([]byte(out), &diags); err != nil || code != exitError || len(diags) != 1 || diags[0].File != bad ||
		!strings.Contains(diags[0].Message, `"nowhere" is not an address`) {
		t.Errorf("--json: exit %d %v\n%s", code, err, out)
	}
}

// A configuration is not drilled as if it were a runbook.
func TestDrillRefusesAConfiguration(t *testing.T) {
	_, errOut, code := crier(t, "drill", "../../examples/crier.yaml")
	if want := "crier drill: ../../examples/crier.yaml is a configuration, not a runbook: give it as --config, and name a runbook to drill\n"; code != exitUsage || errOut != want {
		t.Errorf("exit %d %q", code, errOut)
	}
}
