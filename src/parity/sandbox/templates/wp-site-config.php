<?php
/*
 * WordPress site "{{ site }}" of the parity sandbox in {{ state_dir }}.
 * Written by `parity sandbox up`, removed by `parity sandbox down --purge`; edits are lost.
 * Debian's /usr/share/wordpress/wp-config.php loads it when nginx passes
 * WORDPRESS_CONFIG={{ wordpress_config }}.
 */
define('DB_NAME', '{{ db_name }}');
define('DB_USER', '{{ db_user }}');
define('DB_PASSWORD', '{{ db_password }}');
define('DB_HOST', '127.0.0.1:{{ db_port }}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = '{{ table_prefix }}';

{{ salts }}

// Each site has its own wp-content; its URL follows siteurl (the site's Varnish URL).
define('WP_CONTENT_DIR', '{{ wp_content_dir }}');

// No internet here, and nothing should change behind the tests' back.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('FS_METHOD', 'direct');
define('WP_ENVIRONMENT_TYPE', '{{ environment_type }}');
define('WP_DEBUG', false);
