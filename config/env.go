package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var (
	envRefRE  = regexp.MustCompile(`\$\{([^}]*)\}`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// secretType marks the fields that hold credentials.
var secretType = reflect.TypeFor[Secret]()

// eachString calls fn with the path of every string in v that the file
// could have set: string fields, Secrets and the items of string lists,
// named as the decoder names them.
func eachString(v reflect.Value, path string, fn func(path string, s reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			eachString(v.Elem(), path, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !t.Field(i).IsExported() {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			eachString(v.Field(i), p, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			eachString(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.String:
		fn(path, v)
	}
}

// resolve replaces every ${ENV_VAR} reference in the configuration with
// lookup's value, remembering what was written. A literal secret is a
// warning; a user's token must be a reference. Values that decoding
// reported are skipped.
func (l *loader) resolve(lookup func(string) (string, bool)) {
	eachString(reflect.ValueOf(l.c).Elem(), "", func(path string, s reflect.Value) {
		if l.failed(path) {
			return
		}
		raw := s.String()
		if err := checkRefs(raw); err != nil {
			l.errorf(path, "%v", err)
			s.SetString("")
			return
		}
		if s.Type() == secretType && raw != "" && !isWholeRef(raw) {
			if isUserToken(path) {
				l.errorf(path, "a token must come from the environment: write it as %s (or give token_sha256, the token's SHA-256, instead)", suggestRef(l.c, path))
				s.SetString("")
				return
			}
			l.warnf(path, "a literal secret in the file: give it as ${ENV_VAR}, such as %s, and set the variable where crier runs", suggestRef(l.c, path))
		}
		if !strings.Contains(raw, "${") {
			return
		}
		if l.unresolved != nil { // Check: the environment is not this one's
			l.c.refs[path] = raw
			l.unresolved[path] = true
			s.SetString("")
			return
		}
		value, err := expand(raw, lookup, lastName(path))
		if err != nil {
			l.errorf(path, "%v", err)
			s.SetString("")
			return
		}
		l.c.refs[path] = raw
		s.SetString(value)
	})
}

// checkRefs checks the ${NAME} references in raw are well formed.
func checkRefs(raw string) error {
	for _, m := range envRefRE.FindAllStringSubmatch(raw, -1) {
		if !envNameRE.MatchString(m[1]) {
			return fmt.Errorf("%q is not a valid environment variable reference; expected ${NAME} with letters, digits and underscores", m[0])
		}
	}
	if rest := envRefRE.ReplaceAllString(raw, ""); strings.Contains(rest, "${") {
		rest = rest[strings.Index(rest, "${"):]
		return fmt.Errorf("%q is not a valid environment variable reference; expected ${NAME}, closed with }", rest[:min(len(rest), 40)])
	}
	return nil
}

// expand resolves the well-formed references in raw. Its errors name the
// variable and the field, never a value.
func expand(raw string, lookup func(string) (string, bool), field string) (string, error) {
	var err error
	out := envRefRE.ReplaceAllStringFunc(raw, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := "", false
		if lookup != nil {
			v, ok = lookup(name)
		}
		switch {
		case err != nil:
		case !ok:
			err = fmt.Errorf("%s needs the environment variable %s, which is not set", field, name)
		case v == "":
			err = fmt.Errorf("%s needs the environment variable %s, which is set but empty", field, name)
		}
		return v
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// isWholeRef reports whether s is one ${NAME} reference and nothing else.
func isWholeRef(s string) bool {
	m := envRefRE.FindStringSubmatch(s)
	return m != nil && m[0] == s && envNameRE.MatchString(m[1])
}

func isUserToken(path string) bool {
	return strings.HasPrefix(path, "users[") && strings.HasSuffix(path, "].token")
}

// lastName is the field name at the end of a path: users[0].token → token.
func lastName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i > 0 {
		path = path[:i]
	}
	return path
}

// suggestRef names a variable for a secret: the ones the documentation
// uses, or for a user's token one made from the user's name.
func suggestRef(c *Config, path string) string {
	switch path {
	case "notifiers.slack.token":
		return "${SLACK_BOT_TOKEN}"
	case "notifiers.slack.signing_secret":
		return "${SLACK_SIGNING_SECRET}"
	case "notifiers.email.password":
		return "${SMTP_PASSWORD}"
	case "notifiers.sms.api_key":
		return "${NOTIFY_API_KEY}"
	case "notifiers.webhook.signing_secret":
		return "${WEBHOOK_SIGNING_SECRET}"
	}
	var i int
	if _, err := fmt.Sscanf(path, "users[%d]", &i); err == nil && i < len(c.Users) {
		var b strings.Builder
		for _, r := range strings.ToUpper(c.Users[i].Name) {
			switch {
			case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
				b.WriteRune(r)
			case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
				b.WriteByte('_')
			}
		}
		if name := strings.Trim(b.String(), "_"); name != "" && envNameRE.MatchString(name) {
			return "${" + name + "_TOKEN}"
		}
	}
	return "${CRIER_TOKEN}"
}

// shown is how messages name the value at path: what the file says, with a
// reference left as a reference, never what it resolved to.
func (c *Config) shown(path, value string) string {
	if raw, ok := c.refs[path]; ok {
		return fmt.Sprintf("the value of %s", raw)
	}
	return fmt.Sprintf("%q", value)
}

// secretShown is how messages name a secret: by its reference, or by its
// field when it is written in the file. A secret is never repeated.
func (c *Config) secretShown(path string) string {
	if raw, ok := c.refs[path]; ok {
		return fmt.Sprintf("the value of %s", raw)
	}
	return "the " + lastName(path)
}

// variables are the environment variables the file's references name,
// sorted.
func (c *Config) variables() []string {
	var out []string
	for _, raw := range c.refs {
		for _, m := range envRefRE.FindAllStringSubmatch(raw, -1) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fromEnv reports whether the value at path came from the environment.
func (c *Config) fromEnv(path string) bool {
	_, ok := c.refs[path]
	return ok
}
