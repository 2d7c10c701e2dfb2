resource "google_workbench_instance" "notebook" {
  for_each = var.instances

  name     = "nb-${each.key}"
  location = var.zone

  gce_setup {
    machine_type = each.value.machine_type

    dynamic "accelerator_configs" {
      for_each = each.value.accelerators
      content {
        type       = accelerator_configs.value.type
        core_count = accelerator_configs.value.core_count
      }
    }

    vm_image {
      project = "cloud-notebooks-managed"
      family  = "workbench-instances"
    }

    service_accounts {
      email = google_service_account.notebook[each.key].email
    }

    boot_disk {
      disk_size_gb = 150
      disk_type    = "PD_BALANCED"
    }

    network_interfaces {
      network  = local.network
      subnet   = local.subnet
      nic_type = "GVNIC"
    }

    disable_public_ip = true

    shielded_instance_config {
      enable_secure_boot          = true
      enable_vtpm                 = true
      enable_integrity_monitoring = true
    }

    metadata = local.notebook_metadata
  }

  labels = merge(local.common_labels, { team = each.key })

  lifecycle {
    # Users stop and start instances through ChatOps; Terraform must not undo that on the next apply.
    ignore_changes = [desired_state]
  }
}
