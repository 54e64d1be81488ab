package fixture

import _ "example.com/web"
