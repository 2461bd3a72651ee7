package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/runbooks"
	"go.yaml.in/yaml/v3"
)

// toValidate is a file crier validate checks, and how.
type toValidate struct {
	path          string
	configuration bool   // checked as a crier.yaml, not as a runbook
	directory     bool   // checked as a directory file, not as a runbook
	inDirectory   bool   // found in a directory named on the command line
	folder        string // where its directory, crier.yaml or directory.yaml, is looked for
}

// filesToValidate expands paths as runbooks.Files does, but keeps the
// configurations that runbooks.Files leaves out of a directory
// (crier.yaml, crier.yml): validate checks those too, as configurations,
// and directory files, as directories. The runbooks in a directory named
// look for their directory in it; a runbook named alone, beside it.
func filesToValidate(paths []string) ([]toValidate, error) {
	var out []toValidate
	for _, p := range paths {
		found, err := runbooks.FindFiles([]string{p}, func(path string) bool { return runbooks.IsRunbookFile(path) || isConfigurationName(path) })
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			folder := filepath.Dir(f.Path)
			if f.InDirectory {
				folder = p
			}
			keys, kind := topLevel(f.Path)
			out = append(out, toValidate{path: f.Path, inDirectory: f.InDirectory, folder: folder,
				configuration: configurationByKeys(f.Path, keys), directory: isDirectoryFile(f.Path, kind)})
		}
	}
	return out, nil
}

// isConfigurationName reports whether a file in a runbook directory is
// named as the configuration (crier.yaml, crier.yml): a YAML file that
// crier serve, through runbooks.IsRunbookFile, leaves out of the runbooks.
func isConfigurationName(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return (ext == ".yaml" || ext == ".yml") && !runbooks.IsRunbookFile(path)
}

// isDirectoryFile reports whether a file is a directory file rather than
// a runbook: named directory.yaml (or .yml), or of kind: directory.
func isDirectoryFile(path, kind string) bool {
	name := strings.ToLower(filepath.Base(path))
	return name == directoryFileName || name == "directory.yml" || kind == "directory"
}

// Top-level keys that only a configuration has, and those a runbook
// cannot do without.
var (
	configurationKeys = []string{"data_dir", "runbooks", "server", "notifiers", "users", "cluster", "delivery", "directory"}
	runbookKeys       = []string{"steps", "stakeholders"}
)

// topLevel reads a YAML file's top-level keys and its kind: value; none
// when it is not a YAML mapping.
func topLevel(path string) (keys []string, kind string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ""
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, runbooks.MaxFileSize+1))
	var doc yaml.Node
	if err != nil || len(data) > runbooks.MaxFileSize || yaml.Unmarshal(data, &doc) != nil ||
		len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, ""
	}
	m := doc.Content[0].Content
	for i := 0; i+1 < len(m); i += 2 {
		keys = append(keys, m[i].Value)
		if m[i].Value == "kind" {
			kind = m[i+1].Value
		}
	}
	return keys, kind
}

// isConfiguration reports whether a file is a configuration rather than
// a runbook: a YAML mapping (keys, its top-level keys) with none of a
// runbook's steps and stakeholders and either a key only a configuration
// has or the configuration's name. A file that is not such a mapping is
// told apart by its name alone, so that its errors are a configuration's
// when it is named as one.
// isDirectory reports whether the file at path is a directory file.
func isDirectory(path string) bool {
	_, kind := topLevel(path)
	return isDirectoryFile(path, kind)
}

func isConfiguration(path string) bool {
	keys, _ := topLevel(path)
	return configurationByKeys(path, keys)
}

func configurationByKeys(path string, keys []string) bool {
	if keys == nil {
		return isConfigurationName(path)
	}
	has := func(k string) bool { return slices.Contains(keys, k) }
	if slices.ContainsFunc(runbookKeys, has) {
		return false
	}
	return isConfigurationName(path) || slices.ContainsFunc(configurationKeys, has)
}

// checkConfiguration checks a configuration file as a file, apart from
// the environment crier will run in (config.Check), and says what it is.
// A configuration in a directory named otherwise is a warning: crier
// serve would read it as a runbook there.
func checkConfiguration(f toValidate) (diags []runbooks.Diagnostic, about string) {
	needs, warnings, err := config.Check(f.path)
	var list runbooks.ErrorList
	switch {
	case errors.As(err, &list):
		diags = list
	case err != nil:
		diags = []runbooks.Diagnostic{{File: f.path, Line: 1, Column: 1, Severity: runbooks.SeverityError, Message: describeFileError(err)}}
	default:
		diags = warnings
	}
	if f.inDirectory && !isConfigurationName(f.path) {
		diags = append(diags, runbooks.Diagnostic{File: f.path, Line: 1, Column: 1, Severity: runbooks.SeverityWarning,
			Message: "a configuration among runbooks: crier reads every .yaml and .yml file in a runbook directory as a runbook, " +
				"but crier.yaml; name it crier.yaml or keep it elsewhere"})
	}
	switch {
	case err != nil:
		about = fmt.Sprintf("%s is a configuration: not valid", f.path)
	case len(needs) > 0:
		about = fmt.Sprintf("%s is a configuration: valid as written; the values it takes from %s are checked where crier runs on it",
			f.path, strings.Join(needs, ", "))
	default:
		about = fmt.Sprintf("%s is a configuration: valid", f.path)
	}
	return diags, about
}

// misnamedRunbook is the warning for a runbook named as the configuration
// in a directory: crier serve leaves it out of the runbooks there.
func misnamedRunbook(f toValidate) []runbooks.Diagnostic {
	if !f.inDirectory || !isConfigurationName(f.path) {
		return nil
	}
	return []runbooks.Diagnostic{{File: f.path, Line: 1, Column: 1, Severity: runbooks.SeverityWarning,
		Message: "a runbook named as the configuration: crier leaves crier.yaml and crier.yml out when it loads a runbook directory, " +
			"so this runbook is never offered; rename it"}}
}
