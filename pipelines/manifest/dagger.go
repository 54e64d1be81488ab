package manifest

import (
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// DefaultDaggerFunction and DefaultSourceArg are kind dagger's build
// function and the argument its functions take the component's folder by,
// when the manifest names none.
const (
	DefaultDaggerFunction = "build"
	DefaultSourceArg      = "source"
)

// DaggerNamePattern is the regular expression a Dagger function or
// argument name in a manifest matches: as `dagger call` spells it
// (build-image, go-version) or as the module declares it (buildImage).
const DaggerNamePattern = `^[A-Za-z][A-Za-z0-9_-]*$`

var daggerNameRE = regexp.MustCompile(DaggerNamePattern)

// validateDagger checks the function and argument names of build and
// test (the keys kind dagger calls its module with), naming file and line.
func validateDagger(file string, root *yaml.Node, c *Component) error {
	check := func(section, key, value string) error {
		if value == "" || daggerNameRE.MatchString(value) {
			return nil
		}
		return fmt.Errorf("%s:%d: %s.%s %q: want a Dagger function or argument name (letters, digits, '-' and '_', starting with a letter)", file, lineOf(mappingValue(root, section), key), section, key, value)
	}
	checkArgs := func(section string, args map[string]string) error {
		if c.Kind != KindDagger {
			return nil // docker's build.args are build arguments
		}
		sec := mappingValue(root, section)
		for name := range args {
			if daggerNameRE.MatchString(name) {
				continue
			}
			line := lineOf(sec, "args")
			if a := mappingValue(sec, "args"); a != nil {
				for i := 0; i+1 < len(a.Content); i += 2 {
					if a.Content[i].Value == name {
						line = a.Content[i].Line
					}
				}
			}
			return fmt.Errorf("%s:%d: %s.args: %q is not a Dagger argument name (letters, digits, '-' and '_', starting with a letter)", file, line, section, name)
		}
		return nil
	}
	for _, err := range []error{
		check("build", "function", c.Build.Function),
		check("build", "sourceArg", c.Build.SourceArg),
		check("test", "function", c.Test.Function),
		checkArgs("build", c.Build.Args),
		checkArgs("test", c.Test.Args),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
