{%- from 'jinja/escape.jinja' import hcl_str -%}
app_service_plan_name     = {{ app_service_plan_name | tojson }}
web_app_name              = {{ hcl_str(webapp_deployment_name) }}
web_app_image             = {{ hcl_str(sample_name ~ '-scoring:0') }}
