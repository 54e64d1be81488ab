// Package ecr logs in to Amazon ECR (GetAuthorizationToken) and creates a
// repository when it is missing, so that package oci can push there.
package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
)

var hostRE = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ParseHost returns the account and region of an ECR registry host, and
// false when host is not one.
func ParseHost(host string) (account, region string, ok bool) {
	m := hostRE.FindStringSubmatch(host)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// Login exchanges AWS credentials for registry credentials. It returns the
// registry host (from the token's proxy endpoint) and a basic-auth login.
// The token works for every registry the caller may access.
func Login(ctx context.Context, cfg aws.Config) (string, *authn.Basic, error) {
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", nil, fmt.Errorf("ECR login: %w", err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return "", nil, errors.New("ECR login: no authorization data in the answer")
	}
	data := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(data.AuthorizationToken))
	if err != nil {
		return "", nil, errors.New("ECR login: the authorization token is not base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", nil, errors.New("ECR login: the authorization token is not user:password")
	}
	host := aws.ToString(data.ProxyEndpoint)
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	return strings.TrimSuffix(host, "/"), &authn.Basic{Username: user, Password: pass}, nil
}

// EnsureRepository checks that the repository exists and, when create is
// true, creates it if not. It reports whether it created it.
func EnsureRepository(ctx context.Context, cfg aws.Config, registryID, name string, create bool) (bool, error) {
	client := ecr.NewFromConfig(cfg)
	var id *string
	if registryID != "" {
		id = aws.String(registryID)
	}
	_, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: id, RepositoryNames: []string{name}})
	var missing *types.RepositoryNotFoundException
	switch {
	case err == nil:
		return false, nil
	case !errors.As(err, &missing):
		return false, fmt.Errorf("ECR repository %s: %w", name, err)
	case !create:
		return false, fmt.Errorf("ECR repository %s does not exist (set publish.image.ecr.createRepository to create it)", name)
	}
	_, err = client.CreateRepository(ctx, &ecr.CreateRepositoryInput{RegistryId: id, RepositoryName: aws.String(name)})
	var exists *types.RepositoryAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return false, fmt.Errorf("create ECR repository %s: %w", name, err)
	}
	return err == nil, nil
}
