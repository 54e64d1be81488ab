package manifest

import (
	"fmt"
	"regexp"
	"strings"

	"dario.cat/mergo"
)

// Publish configures the publish step. Workspace values are defaults that a
// component's own section overrides (see Merge). Each target publishes when
// it is configured and the build produced the matching output: an image, an
// npm tarball, Python dists, or files.
type Publish struct {
	// Image pushes the built OCI image.
	Image ImagePublish `yaml:"image"`
	// NPM publishes the npm tarball (npm pack output).
	NPM NPMPublish `yaml:"npm"`
	// PyPI uploads wheels and sdists to a PyPI-compatible index.
	PyPI PyPIPublish `yaml:"pypi"`
	// Generic uploads output files over HTTP.
	Generic GenericPublish `yaml:"generic"`
	// S3 uploads output files (a Lambda zip, say) to S3.
	S3 S3Publish `yaml:"s3"`
}

// The values ImagePublish.Latest accepts.
const (
	LatestNever   = "never"
	LatestBase    = "base"
	LatestRelease = "release"
)

// LatestValues lists the values ImagePublish.Latest accepts (empty: never).
var LatestValues = []string{LatestNever, LatestBase, LatestRelease}

var tagSuffixRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// GenericMethods lists the values GenericPublish.Method accepts, in any
// case (empty: PUT).
var GenericMethods = []string{"PUT", "POST"}

// ImagePublish pushes an image. It is on when Registry is set or ECR is used.
type ImagePublish struct {
	// Registry is the registry host[:port]. With ECR it may stay empty: the
	// host then comes from the ECR authorization token.
	Registry string `yaml:"registry"`
	// Repository is the path in the registry; "{name}" is replaced by the
	// component name. Default "{name}".
	Repository string `yaml:"repository"`
	// Latest says when the "latest" tag is set: never (default), on the
	// base branch, or on releases (not pre-releases; never back to an
	// older release than the repository holds).
	Latest string `yaml:"latest"`
	// SemverAliases also tags X.Y and X on releases (not on pre-releases);
	// an alias moves only forward: a backport 1.1.5 after 1.2.0 moves 1.1,
	// not 1 or latest.
	SemverAliases bool `yaml:"semverAliases"`
	// TagSuffix is appended to the commit and branch tags, e.g. "-dev" in
	// a dev environment's publish section, so that a laptop's push never
	// moves the tag CI gives the same commit: letters, digits, '_', '.'
	// and '-', at most 32.
	TagSuffix string `yaml:"tagSuffix" json:",omitempty"`
	// Insecure talks plain HTTP to the registry.
	Insecure bool `yaml:"insecure"`
	// ECR gets credentials from AWS ECR.
	ECR ECR `yaml:"ecr"`
}

// ECR configures pushing to Amazon ECR. It is used when Region is set or
// the registry is an ECR host (<account>.dkr.ecr.<region>.amazonaws.com).
type ECR struct {
	// Region of the registry; default from the registry host or the AWS
	// environment.
	Region string `yaml:"region"`
	// Endpoint overrides the ECR API endpoint (for local testing).
	Endpoint string `yaml:"endpoint"`
	// RegistryID is the AWS account of the registry; default the caller's.
	RegistryID string `yaml:"registryId"`
	// CreateRepository creates the repository when it does not exist.
	CreateRepository bool `yaml:"createRepository"`
	// RoleARN is a role to assume for ECR calls.
	RoleARN string `yaml:"roleArn"`
}

// NPMPublish publishes to an npm registry. It is on when Registry is set.
type NPMPublish struct {
	// Registry is the registry URL, e.g. https://registry.npmjs.org/.
	Registry string `yaml:"registry"`
	// Tag is the dist-tag to set; default "latest".
	Tag string `yaml:"tag"`
}

// PyPIPublish uploads to a PyPI-compatible index with the upload API that
// twine uses. It is on when URL is set.
type PyPIPublish struct {
	// URL is the upload endpoint, e.g. https://upload.pypi.org/legacy/.
	URL string `yaml:"url"`
	// SimpleURL is the index's simple API (PEP 503), e.g.
	// https://pypi.org/simple/, used to see what is already published.
	SimpleURL string `yaml:"simpleUrl"`
}

// GenericPublish uploads files over HTTP. It is on when URL is set.
type GenericPublish struct {
	// URL is a template: {name} (component), {version} (the release
	// version, else the short commit), {file} (base name), {sha} (the
	// file's sha256), {commit} and {branch} (sanitised) are replaced.
	URL string `yaml:"url"`
	// Method is PUT (default, raw body) or POST (multipart, field "file").
	Method string `yaml:"method"`
	// CheckURL is where an existing upload can be read back (a template
	// like URL); default URL for PUT, none for POST.
	CheckURL string `yaml:"checkUrl"`
	// Overwrite replaces an existing file with different content instead of
	// failing.
	Overwrite bool `yaml:"overwrite"`
}

// S3Publish uploads files to S3. It is on when Bucket is set.
type S3Publish struct {
	// Bucket is the bucket's name.
	Bucket string `yaml:"bucket"`
	// Key is a template like GenericPublish.URL; default
	// "{name}/{version}/{file}".
	Key string `yaml:"key"`
	// Region of the bucket; default from the AWS environment.
	Region string `yaml:"region"`
	// Endpoint overrides the S3 endpoint (path-style addressing is used).
	Endpoint string `yaml:"endpoint"`
	// RoleARN is a role to assume for S3 calls.
	RoleARN string `yaml:"roleArn"`
	// Overwrite replaces an existing object with different content instead
	// of failing.
	Overwrite bool `yaml:"overwrite"`
}

// Merge returns p (workspace defaults) with every field that override (the
// component's section) sets replacing it. Neither argument is modified.
func (p Publish) Merge(override Publish) (Publish, error) {
	return p, mergeInto(&p, override)
}

// Validate checks the enumerated values; errors name the key.
func (p Publish) Validate() error {
	if err := oneOf("publish.image.latest", p.Image.Latest, append([]string{""}, LatestValues...)...); err != nil {
		return err
	}
	if s := p.Image.TagSuffix; s != "" && !tagSuffixRE.MatchString(s) {
		return fmt.Errorf("publish.image.tagSuffix %q: want at most 32 letters, digits, '_', '.' or '-'", s)
	}
	return oneOf("publish.generic.method", strings.ToUpper(p.Generic.Method), append([]string{""}, GenericMethods...)...)
}

// mergeInto overrides dst's fields with src's non-zero ones. Pointers are
// replaced, never written through, so dst's shared values stay intact.
func mergeInto[T any](dst *T, src T) error {
	if err := mergo.Merge(dst, src, mergo.WithOverride, mergo.WithoutDereference); err != nil {
		return fmt.Errorf("merge %T: %w", src, err)
	}
	return nil
}

func oneOf(key, v string, valid ...string) error {
	for _, ok := range valid {
		if v == ok {
			return nil
		}
	}
	var names []string
	for _, ok := range valid {
		if ok != "" {
			names = append(names, ok)
		}
	}
	return fmt.Errorf("%s: %q is not one of %s", key, v, strings.Join(names, ", "))
}
