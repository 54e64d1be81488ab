package manifest

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Service is a container that runs beside a component's test step, such
// as a database its integration tests talk to. The engine starts it
// before the test runs, reachable from the test container by Name, and
// stops it when the test is done. A test answered from the engine's cache
// starts no service.
type Service struct {
	// Name is the service's hostname in the test container, and unique
	// among the component's services: lower case letters, digits and '-',
	// starting and ending with a letter or digit (a DNS label).
	Name string `yaml:"name"`
	// Image is the service's image, e.g. postgres:16.
	Image string `yaml:"image"`
	// Env is the service's environment, e.g. POSTGRES_PASSWORD. Plain
	// values only, never a secret: they enter the input digest and the
	// engine's cache keys. A service gets no build secrets.
	Env map[string]string `yaml:"env"`
	// Ports are the TCP ports the service listens on (1-65535). The test
	// starts once every one of them accepts connections.
	Ports []int `yaml:"ports"`
	// Command replaces the image's default command; the image's entrypoint
	// is kept (as docker run's arguments), e.g. [postgres, -c, fsync=off].
	Command []string `yaml:"command"`
}

// ServiceNamePattern is the regular expression a service name matches: a
// DNS label, the hostname the test container reaches it by.
const ServiceNamePattern = `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`

// MaxPort is the highest TCP port.
const MaxPort = 65535

var serviceNameRE = regexp.MustCompile(ServiceNamePattern)

// validateServices checks test.services: names (DNS labels, unique),
// images (not empty) and ports (1-65535), naming the file and line.
func validateServices(file string, root *yaml.Node, c *Component) error {
	test := mappingValue(root, "test")
	if test == nil {
		return nil
	}
	items := seqItems(test, "services")
	if len(items) > 0 && c.Kind == KindDagger {
		return fmt.Errorf("%s:%d: test.services: kind dagger's test function starts the services it needs itself (Container.asService in its module)", file, lineOf(test, "services"))
	}
	if len(items) > 0 && c.Kind == KindDocker && c.Test.Stage != "" {
		return fmt.Errorf("%s:%d: test.services: a Dockerfile's test stage cannot reach services; use test.command, which runs in the built image", file, lineOf(test, "services"))
	}
	if len(items) > 0 {
		switch {
		case c.Test.Skip:
			return fmt.Errorf("%s:%d: test.services: test.skip is set, so no test runs to use them", file, lineOf(test, "services"))
		case c.Kind == KindDocker && len(c.Test.Command) == 0:
			return fmt.Errorf("%s:%d: test.services: a docker component's services serve its test.command, which is not set", file, lineOf(test, "services"))
		case c.Kind == KindCustom && len(c.Test.Commands) == 0:
			return fmt.Errorf("%s:%d: test.services: a custom component's services serve its test.commands, which are not set", file, lineOf(test, "services"))
		}
	}
	seen := map[string]int{}
	for i, item := range items {
		s := c.Test.Services[i]
		line := func(key string) int {
			if l := lineOf(item, key); l > 0 {
				return l
			}
			return item.Line
		}
		switch {
		case s.Name == "":
			return fmt.Errorf("%s:%d: test.services: name is required (the service's hostname)", file, item.Line)
		case !serviceNameRE.MatchString(s.Name):
			return fmt.Errorf("%s:%d: test.services: name %q must be a hostname: lower case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", file, line("name"), s.Name)
		case seen[s.Name] > 0:
			return fmt.Errorf("%s:%d: test.services: name %q is used twice (also line %d)", file, line("name"), s.Name, seen[s.Name])
		case strings.TrimSpace(s.Image) == "":
			return fmt.Errorf("%s:%d: test.services: %s: image is required, e.g. postgres:16", file, line("image"), s.Name)
		}
		seen[s.Name] = line("name")
		for j, p := range s.Ports {
			if p < 1 || p > MaxPort {
				l := line("ports")
				if ps := seqItems(item, "ports"); j < len(ps) {
					l = ps[j].Line
				}
				return fmt.Errorf("%s:%d: test.services: %s: port %d is not a TCP port (1-%d)", file, l, s.Name, p, MaxPort)
			}
		}
	}
	return nil
}
