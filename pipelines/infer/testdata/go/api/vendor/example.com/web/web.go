// Package web is vendored: its imports are not api's.
package web

import _ "example.com/tool"
