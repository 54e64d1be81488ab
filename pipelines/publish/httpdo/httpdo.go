// Package httpdo sends the HTTP requests of the package publishers, with
// timeouts (Client) and bounded retries with backoff where a request is
// safe to send again (Retry), and turns failed answers into short,
// secret-free error text.
package httpdo

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// Do sends req once with client (nil: Client). A transport error is
// returned without the *url.Error wrapper, whose URL the caller's message
// already names.
func Do(client *http.Client, req *http.Request) (*http.Response, error) {
	if client == nil {
		client = Client
	}
	resp, err := client.Do(req)
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return resp, err
}

// Describe is an answer's status and the start of its body.
func Describe(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return strings.TrimSpace(resp.Status + " " + strings.TrimSpace(string(b)))
}

// Multipart encodes form fields, in order, then data as the file field
// fileField named fileName. It returns the body and its Content-Type.
func Multipart(fields [][2]string, fileField, fileName string, data []byte) (io.Reader, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	fw, err := mw.CreateFormFile(fileField, fileName)
	if err != nil {
		return nil, "", err
	}
	if _, err := fw.Write(data); err != nil {
		return nil, "", err
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return &buf, mw.FormDataContentType(), nil
}

// Fetch sends a read request, retried with r when the server or the
// connection fails, and returns the body of a 200 answer, found false for
// a 404, and an error naming the status for anything else.
func (r Retry) Fetch(client *http.Client, req *http.Request) (body []byte, found bool, err error) {
	resp, err := r.Do(client, req, Always)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		body, err = io.ReadAll(resp.Body)
		return body, err == nil, err
	case http.StatusNotFound:
		return nil, false, nil
	}
	return nil, false, errors.New(Describe(resp))
}
