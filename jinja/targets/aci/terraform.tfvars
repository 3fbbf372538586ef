aci_identity_name         = {{ aci_identity_name | tojson }}
aci_vnet_name             = {{ (aci_deployment_name ~ '-vnet') | tojson }}
