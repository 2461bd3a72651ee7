package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// rotaFixture copies testdata/rota (a directory with a two-person daily
// rota, an override over a holiday and a list, and a runbook pointing into
// it) to a folder of its own, to be edited.
func rotaFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "rota"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

type plannedRow struct {
	At      string `json:"at"`
	Step    string `json:"step"`
	Reaches []struct {
		ID           string   `json:"id"`
		Name         string   `json:"name"`
		Via          []string `json:"via"`
		Rota         string   `json:"rota"`
		NobodyOnDuty bool     `json:"nobody_on_duty"`
		List         string   `json:"list"`
		Rows         int      `json:"rows"`
	} `json:"reaches"`
	Withheld []struct {
		ID string `json:"id"`
	} `json:"withheld"`
}

func planJSON(t *testing.T, args ...string) []plannedRow {
	t.Helper()
	out, errOut, code := crier(t, append([]string{"plan", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("crier plan %v: exit %d\n%s", args, code, errOut)
	}
	var rows []plannedRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rows
}

// The rota hands over daily at 09:00 on the clock on the wall: across the
// end of summer time on Sunday 25 October 2026 the 08:30 check-in still
// reaches the night's officer, and over Bryn's holiday Chen covers.
func TestPlanResolvesRotaAcrossClockChange(t *testing.T) {
	rows := planJSON(t, "--start", "2026-10-24T06:00:00Z", "--horizon", "4d", filepath.Join("testdata", "rota", "duty.yaml"))
	want := map[string]string{
		"2026-10-24T07:30:00Z": "asha", // Sat 08:30 BST: Asha's turn since Fri 09:00
		"2026-10-24T08:30:00Z": "bryn", // Sat 09:30 BST
		"2026-10-25T08:30:00Z": "bryn", // Sun 08:30 GMT: the handover is at 09:00 GMT, an hour later in UTC than the day before
		"2026-10-25T09:30:00Z": "asha",
		"2026-10-26T08:30:00Z": "asha",
		"2026-10-26T09:30:00Z": "chen", // covering Bryn's turn
		"2026-10-27T08:30:00Z": "chen",
		"2026-10-27T09:30:00Z": "asha",
	}
	seen := 0
	for _, r := range rows {
		if r.Step == "alert" {
			got := map[string]string{}
			for _, who := range r.Reaches {
				got[who.ID+who.List] = strings.Join(who.Via, ",")
				if who.List == "residents" && who.Rows != 7 {
					t.Errorf("the list reaches %d rows, want 7", who.Rows)
				}
			}
			if len(got) != 4 || got["ghosh"] != "email" || got["press"] != "email" || got["asha"] != "sms" || got["residents"] != "" {
				t.Errorf("the alert at Sat 08:00 BST reaches %v; want Ravi and the press office by email, Asha (on duty) by sms and the list", got)
			}
			continue
		}
		seen++
		if len(r.Reaches) != 1 || r.Reaches[0].ID != want[r.At] || r.Reaches[0].Rota != "duty-comms" {
			t.Errorf("check-in at %s reaches %+v, want %s", r.At, r.Reaches, want[r.At])
		}
	}
	if seen != len(want) {
		t.Errorf("%d check-ins, want %d", seen, len(want))
	}
}

// Before the rota's first handover nobody is on duty, and the plan says
// so; its text keeps who each row reaches to 80 columns.
func TestPlanSaysNobodyIsOnDuty(t *testing.T) {
	file := filepath.Join("testdata", "rota", "duty.yaml")
	rows := planJSON(t, "--start", "2026-09-30T06:00:00Z", "--horizon", "1d", file)
	if len(rows) == 0 || rows[1].Step != "check-in" || !rows[1].Reaches[0].NobodyOnDuty || rows[1].Reaches[0].Name != "Duty communications officer" {
		t.Fatalf("got %+v", rows)
	}
	out, errOut, code := crier(t, "plan", "--start", "2026-09-30T06:00:00Z", "--horizon", "1d", file)
	if code != exitOK || !strings.Contains(out, "    reaches: Duty communications officer (rota duty-comms): nobody on duty\n") ||
		!strings.Contains(errOut, "warning: stakeholders[0].rota: nobody is on Duty communications officer") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "    reaches: Ravi Ghosh (email), Press office (email), list residents (7 rows),\n             ") {
		t.Errorf("the alert's reaches are not wrapped under it:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "    ") && utf8.RuneCountInString(line) > reachWidth {
			t.Errorf("a line of %d characters: %q", utf8.RuneCountInString(line), line)
		}
	}
}

// A runbook with its own contacts still says who each row reaches.
func TestPlanReachesOwnStakeholders(t *testing.T) {
	rows := planJSON(t, "--start", "2026-03-16T10:00:00Z", "--horizon", "1d", "../../runbooks/testdata/minimal.good.yaml")
	if rows[0].Step != "declare" || len(rows[0].Reaches) != 2 || rows[0].Reaches[0].ID != "duty-comms" ||
		strings.Join(rows[0].Reaches[0].Via, ",") != "email" || rows[0].Reaches[1].ID != "head-comms" {
		t.Errorf("declare reaches %+v", rows[0].Reaches)
	}
	for _, r := range rows {
		if r.Reaches == nil {
			t.Errorf("%s at %s has no reaches", r.Step, r.At)
		}
	}
}

// In an exercise with participants, whoever is not taking part is
// withheld, as crier drill withholds them.
func TestPlanExerciseWithholds(t *testing.T) {
	dir := rotaFixture(t)
	file := filepath.Join(dir, "duty.yaml")
	edit(t, file, "steps:\n", "exercise:\n  participants: [ravi]\nsteps:\n")
	rows := planJSON(t, "--exercise", "--start", "2026-10-24T06:00:00Z", "--horizon", "3h", file)
	if rows[0].Step != "alert" || len(rows[0].Reaches) != 1 || rows[0].Reaches[0].ID != "ghosh" || len(rows[0].Withheld) != 3 {
		t.Errorf("the alert reaches %+v and withholds %+v; want only Ravi, taking part", rows[0].Reaches, rows[0].Withheld)
	}
	if rows[1].Step != "check-in" || len(rows[1].Reaches) != 0 || rows[1].Withheld[0].ID != "asha" {
		t.Errorf("the check-in reaches %+v", rows[1])
	}
}

// crier validate checks a directory file as one, with its lists, and not
// as a runbook; a list with a bad row is refused naming its file and row,
// and never repeating what the row holds.
func TestValidateListWithBadRow(t *testing.T) {
	out, errOut, code := crier(t, "validate", "--no-doctrine", filepath.Join("testdata", "rota"))
	if code != exitOK || errOut != "1 of 1 runbook file valid; 1 directory valid; 2 warnings\n" ||
		!strings.Contains(out, "directory.yaml is a directory: valid; 1 organisation, 4 people, 1 rota, 1 list of 7 rows\n") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}

	dir := rotaFixture(t)
	edit(t, filepath.Join(dir, "lists", "residents.csv"), "resident.six@example.org", "resident.six.example.org")
	out, errOut, code = crier(t, "validate", dir)
	list := filepath.Join(dir, "lists", "residents.csv")
	if code != exitError || !strings.Contains(out, list+": row 7: the email address is not valid") || strings.Contains(out+errOut, "resident.six") ||
		!strings.Contains(out, "directory.yaml is a directory: not valid") || !strings.Contains(errOut, "0 of 1 directory valid") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}

	out, _, code = crier(t, "validate", "--json", filepath.Join(dir, "duty.yaml"))
	var diags []map[string]any
	if err := json.Unmarshal([]byte(out), &diags); err != nil || code != exitError {
		t.Fatalf("exit %d %v\n%s", code, err, out)
	}
	found := false
	for _, d := range diags {
		if d["file"] == list && d["line"] == 0.0 && strings.HasPrefix(d["message"].(string), "row 7: the email address is not valid") {
			found = true
		}
	}
	if !found {
		t.Errorf("no diagnostic for row 7 of the list: %v", diags)
	}

	_, errOut, code = crier(t, "plan", filepath.Join(dir, "duty.yaml"))
	if code != exitError || !strings.Contains(errOut, list+": row 7: ") {
		t.Errorf("plan with a bad list: exit %d\n%s", code, errOut)
	}
}

// A pointer to someone the directory does not have is a located error,
// with the id a typing slip away suggested.
func TestValidateUnknownPerson(t *testing.T) {
	dir := rotaFixture(t)
	file := filepath.Join(dir, "duty.yaml")
	edit(t, file, "person: ghosh", "person: ghost")
	want := file + `:7:40: error: stakeholders[1].person: the directory has no person "ghost"; did you mean "ghosh"?`
	out, _, code := crier(t, "validate", file)
	if code != exitError || !strings.Contains(out, want) {
		t.Errorf("exit %d\n%s\nwant %s", code, out, want)
	}
	_, errOut, code := crier(t, "plan", file)
	if code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("plan: exit %d\n%s", code, errOut)
	}
}

// A runbook that points into a directory, with none to be found, is told
// how to give one; runbooks with their own contacts need none.
func TestDirectoryNeededAndNoneFound(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "rota", "duty.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "duty.yaml", string(src))
	const how = "is kept in the directory, and there is none: put directory.yaml beside the runbook, or name the directory with --directory or in crier.yaml"
	out, _, code := crier(t, "validate", file)
	if code != exitError || !strings.Contains(out, file+`:6:73: error: stakeholders[0].rota: rota "duty-comms" `+how) {
		t.Errorf("exit %d\n%s", code, out)
	}
	_, errOut, code := crier(t, "plan", file)
	if code != exitError || !strings.Contains(errOut, how) {
		t.Errorf("plan: exit %d\n%s", code, errOut)
	}
	if _, _, code := crier(t, "validate", "--directory", filepath.Join("testdata", "rota", "directory.yaml"), file); code != exitOK {
		t.Errorf("with --directory: exit %d", code)
	}
	if out, errOut, code := crier(t, "validate", "../../examples"); code != exitOK || !strings.Contains(out+errOut, "1 directory valid") || strings.Contains(out+errOut, "error") {
		t.Errorf("the examples: exit %d\n%s%s", code, out, errOut)
	}
}

// --directory naming a file that is not there is a usage error.
func TestDirectoryFlagUsage(t *testing.T) {
	file := filepath.Join("testdata", "rota", "duty.yaml")
	for _, args := range [][]string{
		{"validate", "--directory", "nowhere/directory.yaml", file},
		{"plan", "--directory", "nowhere/directory.yaml", file},
		{"validate", "--directory", "testdata", file},
		{"plan", "--directory=", file},
	} {
		_, errOut, code := crier(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "--directory") {
			t.Errorf("crier %v: exit %d %q", args, code, errOut)
		}
	}
	if _, errOut, _ := crier(t, "plan", "--directory", "nowhere/directory.yaml", file); errOut != "crier plan: --directory nowhere/directory.yaml: no such file\n" {
		t.Errorf("got %q", errOut)
	}
}

// crier.yaml's directory: names the directory, relative to crier.yaml, and
// a directory file by another name is still checked as a directory.
func TestDirectoryFromConfiguration(t *testing.T) {
	dir := rotaFixture(t)
	if err := os.Mkdir(filepath.Join(dir, "people"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "directory.yaml"), filepath.Join(dir, "people", "northbridge.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "lists"), filepath.Join(dir, "people", "lists")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "crier.yaml", "version: 1\ndirectory: people/northbridge.yaml\n")
	out, errOut, code := crier(t, "validate", "--no-doctrine", dir)
	if code != exitOK || errOut != "1 of 1 runbook file valid; 1 configuration valid; 1 directory valid; 2 warnings\n" {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	rows := planJSON(t, "--start", "2026-10-25T08:30:00Z", "--horizon", "1m", filepath.Join(dir, "duty.yaml"))
	if len(rows) != 1 || rows[0].Reaches[0].Name != "Bryn Evans" {
		t.Errorf("got %+v", rows)
	}

	writeFile(t, dir, "crier.yaml", "version: 1\ndirectory: people/gone.yaml\n")
	_, errOut, code = crier(t, "plan", filepath.Join(dir, "duty.yaml"))
	if code != exitError || !strings.Contains(errOut, `crier.yaml:2:12: error: directory: "people/gone.yaml": there is no such file`) ||
		!strings.Contains(errOut, "duty.yaml:6:73: error: this runbook points into the directory, which "+filepath.Join(dir, "crier.yaml")+" would name, but it has errors") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	out, _, code = crier(t, "validate", filepath.Join(dir, "duty.yaml"))
	if code != exitError || !strings.Contains(out, `crier.yaml:2:12: error: directory: "people/gone.yaml": there is no such file`) {
		t.Errorf("validate: exit %d\n%s", code, out)
	}

	// A runbook with contacts of its own needs no directory, and is not
	// held up by a configuration that cannot name one.
	own := writeFile(t, dir, "own.yaml", readTestdata(t, "minimal.good.yaml"))
	if out, errOut, code := crier(t, "validate", "--no-doctrine", own); code != exitOK || out != "" {
		t.Errorf("validate: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := crier(t, "plan", own); code != exitOK || errOut != "" {
		t.Errorf("plan: exit %d\n%s", code, errOut)
	}
}

// A directory file with errors is reported at its lines, and a runbook
// pointing into it is told to fix it rather than that there is none.
func TestValidateBrokenDirectory(t *testing.T) {
	dir := rotaFixture(t)
	edit(t, filepath.Join(dir, "directory.yaml"), `handover: "09:00"`, `handover: "9am"`)
	out, _, code := crier(t, "validate", dir)
	if code != exitError || !strings.Contains(out, `directory.yaml:22:15: error: rotas[0].handover: "9am" is not a handover time`) ||
		!strings.Contains(out, "duty.yaml:6:73: error: this runbook points into the directory "+filepath.Join(dir, "directory.yaml")+", which has errors") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// crier schema --directory is the directory file's JSON Schema: it takes
// the directories crier reads and refuses shapes crier refuses.
func TestDirectorySchema(t *testing.T) {
	out, _, code := crier(t, "schema", "--directory")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(DirectorySchemaID, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(DirectorySchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	good := []string{filepath.Join("testdata", "rota", "directory.yaml"), filepath.Join("..", "..", "directory", "testdata", "northbridge.yaml")}
	for _, file := range good {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(yamlValue(t, string(src))); err != nil {
			t.Errorf("%s: refused: %v", file, err)
		}
		for _, bad := range []struct{ old, new string }{
			{"version: 1", "version: 2"},
			{"handover:", "hand_over:"},
			{`"09:00"`, `"9am"`},
			{"- id: asha", "- id: Asha"},
			{"file: lists/", "file: /lists/"},
		} {
			if !strings.Contains(string(src), bad.old) {
				continue
			}
			edited := strings.Replace(string(src), bad.old, bad.new, 1)
			if err := schema.Validate(yamlValue(t, edited)); err == nil {
				t.Errorf("%s with %q: accepted", file, bad.new)
			}
		}
	}
}

// yamlValue is a YAML document as the JSON value a schema validates.
func yamlValue(t *testing.T, src string) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	var dates func(n *yaml.Node) // as the directory reads them: text
	dates = func(n *yaml.Node) {
		if n.Tag == "!!timestamp" {
			n.Tag = "!!str"
		}
		for _, c := range n.Content {
			dates(c)
		}
	}
	dates(&doc)
	var v any
	if err := doc.Decode(&v); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// In an exercise with a redirect every row, tasks too, reaches only the
// redirect, as crier drill sends it; addresses and numbers written out in
// a channel are reached as themselves.
func TestPlanExerciseRedirect(t *testing.T) {
	file := "../../examples/flood-warning.yaml"
	for _, r := range planJSON(t, "--exercise", "--start", "2026-12-04T14:00:00Z", "--horizon", "1h", file) {
		if len(r.Reaches) != 1 || r.Reaches[0].ID != "exercise.control@northbridge.gov.uk" {
			t.Errorf("%s in an exercise reaches %+v; want only the exercise mailbox", r.Step, r.Reaches)
		}
	}
	for _, r := range planJSON(t, "--start", "2026-12-04T14:00:00Z", "--horizon", "15m", file) {
		if r.Step == "flood-wardens-text" && (len(r.Reaches) != 6 || r.Reaches[0].ID != "+447700900510" || r.Reaches[0].Via[0] != "sms") {
			t.Errorf("the wardens' text reaches %+v", r.Reaches)
		}
	}
}

// A drill across the change of the clocks and a holiday's cover reaches,
// at each firing, whoever is on duty then.
func TestADrillReachesWhoeverIsOnDuty(t *testing.T) {
	outbox := t.TempDir()
	_, errOut, code := crier(t, "drill", "--outbox", outbox, "--start", "2026-10-24T06:00:00Z", "--horizon", "3d",
		filepath.Join("testdata", "rota", "duty.yaml"))
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("outbox files: %v", files)
	}
	data, _ := os.ReadFile(files[0])
	// Each firing's deliveries, in firing order; a firing's own in any
	// order (they are sent side by side), so sorted.
	var order []string
	reached := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m struct{ Step, Message, Target string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m.Step == "check-in" {
			if _, seen := reached[m.Message]; !seen {
				order = append(order, m.Message)
			}
			reached[m.Message] = append(reached[m.Message], m.Target)
		}
	}
	var got []string
	for _, m := range order {
		slices.Sort(reached[m])
		got = append(got, reached[m]...)
	}
	// 08:30 and 09:30 local each day: Asha's turn on the 23rd runs to
	// 09:00 BST on the 24th; the clocks go back on the 25th; Chen covers
	// from 09:00 on the 26th.
	want := "+447700900101 asha.patel@northbridge.gov.uk " + // Sat 24 08:30 BST: Asha (turn from Fri 23 09:00)
		"U04BRYN0001 bryn.evans@northbridge.gov.uk " + //          Sat 24 09:30: Bryn
		"U04BRYN0001 bryn.evans@northbridge.gov.uk " + //          Sun 25 08:30 GMT: Bryn
		"+447700900101 asha.patel@northbridge.gov.uk " + // Sun 25 09:30: Asha
		"+447700900101 asha.patel@northbridge.gov.uk " + // Mon 26 08:30: Asha
		"chen.li@northbridge.gov.uk" //                          Mon 26 09:30: Chen's cover
	if g := strings.Join(got, " "); !strings.HasPrefix(g, want) {
		t.Errorf("check-ins reached\n%s\nwant to begin\n%s", g, want)
	}
}

// The directory named where a runbook belongs is told apart, plainly.
func TestTheDirectoryIsNotARunbook(t *testing.T) {
	for _, command := range []string{"plan", "drill", "pack"} {
		_, errOut, code := crier(t, command, "../../examples/directory.yaml")
		if code != exitUsage || !strings.Contains(errOut, "../../examples/directory.yaml is the directory, not a runbook") {
			t.Errorf("crier %s directory.yaml: exit %d\n%s", command, code, errOut)
		}
	}
}
