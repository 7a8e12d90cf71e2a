from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Grading"

    def ready(self):
        # The course pages (roster, join) show readiness without importing grading.
        from courses import readiness
        from courses.selectors import attention
        from grading.selectors import readiness_by_student, staff_attention

        readiness.register(readiness_by_student)
        # The staff's home page lists waiting regrade requests and exports without importing grading.
        attention.register_grading(staff_attention)
