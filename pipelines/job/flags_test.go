package job

import (
	"slices"
	"strings"
	"testing"
)

// TestSecretsSet: every secret argument lands in its own field, is
// redacted like the module's, and names no value in an error.
func TestSecretsSet(t *testing.T) {
	get := map[string]func(Secrets) string{
		"github-token":           func(s Secrets) string { return s.GitHubToken },
		"aws-access-key-id":      func(s Secrets) string { return s.Publish.AWS.AccessKeyID },
		"aws-secret-access-key":  func(s Secrets) string { return s.Publish.AWS.SecretAccessKey },
		"aws-session-token":      func(s Secrets) string { return s.Publish.AWS.SessionToken },
		"aws-web-identity-token": func(s Secrets) string { return s.Publish.AWS.WebIdentityToken },
		"registry-password":      func(s Secrets) string { return s.Publish.RegistryPassword },
		"npm-token":              func(s Secrets) string { return s.Publish.NPMToken },
		"pypi-token":             func(s Secrets) string { return s.Publish.PyPIPassword },
	}
	if len(get) != len(SecretFlags) {
		t.Fatalf("SecretFlags %v: the test knows %d", SecretFlags, len(get))
	}
	for _, flag := range SecretFlags {
		var s Secrets
		value := "SECRET-" + flag
		if err := s.Set(flag, value+"\n"); err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		f, ok := get[flag]
		if !ok {
			t.Fatalf("%s: the test does not know it", flag)
		}
		if got := strings.TrimSpace(f(s)); got != value {
			t.Errorf("%s: stored %q", flag, got)
		}
		if flag != "aws-access-key-id" && !slices.Contains(s.values(), f(s)) {
			t.Errorf("%s: not among the redacted values", flag)
		}
	}
	var s Secrets
	if err := s.Set("registry-username", "SECRET-x"); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a non-secret flag: %v", err)
	}
	s = Secrets{}
	s.Set("aws-web-identity-token", "SECRET-oidc")
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "--aws-web-identity-token needs --aws-role-arn") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Check = %v", err)
	}
}
