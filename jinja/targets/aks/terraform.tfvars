{%- from 'jinja/escape.jinja' import hcl_str -%}
aks_cluster_name          = {{ aks_cluster_name | tojson }}
aks_compute_name          = {{ hcl_str(aks_compute_name) }}
aks_node_count            = 2
aks_node_vm_size          = "Standard_D4s_v3"
